"""Builds libmessageapi with cargo and ships it (and its header) inside the package.

`pip install ./bindings/python` runs `cargo build --locked --release -p messageapi --lib` at the repository root. Set
MESSAGEAPI_LIB to an existing libmessageapi.so to skip the build (the package then loads that
copy at run time unless MESSAGEAPI_LIB is unset).
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


class BuildWithLibrary(build_py):
    def run(self) -> None:
        target = Path(self.build_lib) / "messageapi" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "include" / "messageapi.h", target / "messageapi.h")
        if not os.environ.get("MESSAGEAPI_LIB"):
            subprocess.check_call(["cargo", "build", "--locked", "--release", "-p", "messageapi", "--lib"], cwd=ROOT)
            cargo_target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
            shutil.copy2(cargo_target / "release" / "libmessageapi.so", target / "libmessageapi.so")
        super().run()


class BinaryDistribution(Distribution):
    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
