"""The MLOps pipeline's messaging and orchestration libraries, under the names their users
import (`import mlops.messaging as mes`, `import mlops.orchestration as orc`), on messageapi."""
