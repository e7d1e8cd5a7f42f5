//! Tests of the file-reader's line splitting and records.

use super::*;

fn lines(input: &[u8]) -> Vec<(String, i64)> {
    let layout = Layout::new(vec![
        FieldDef::new("value", FieldType::String),
        FieldDef::new("number", FieldType::Integer),
    ]);
    let slots = Slots::of(&layout);
    let file = Text::from("f");
    let cid = Text::from("c");
    let ctx = LineContext {
        layout: &layout,
        slots: &slots,
        file: &file,
        ctype: "collection",
        cid: &cid,
    };
    let mut out = Vec::new();
    let mut buf = input.to_vec();
    buf.push(0);
    let lines = split_lines(&mut buf, input.len()).unwrap();
    let text = TextBuf::copy_of(std::str::from_utf8(&buf).unwrap()).unwrap();
    let loaded = Loaded {
        ascii: text.as_bytes().is_ascii(),
        text,
        lines,
        bytes: input.len(),
        long: Vec::new(),
    };
    emit_lines(&loaded, &ctx, &mut out);
    out.iter()
        .map(|r| {
            let Value::String(v) = r.get("value").unwrap() else {
                panic!()
            };
            let Value::Integer(n) = r.get("number").unwrap() else {
                panic!()
            };
            (v.to_string(), *n)
        })
        .collect()
}

#[test]
fn lines_across_the_reservation_chunks() {
    // A CRLF split across the first 4 KiB chunk's end.
    let text = format!("{}\r\nb", "a".repeat(4095));
    let got = lines(text.as_bytes());
    assert_eq!(got, [("a".repeat(4095), 0), ("b".to_string(), 1)]);
    // A length that is an exact multiple of the chunk, many lines per chunk.
    let got = lines("x\n".repeat(4096).as_bytes());
    assert_eq!(got.len(), 4096);
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, (v, n))| v == "x" && *n == i as i64));
    // A lone CR at the very end.
    assert_eq!(lines(b"a\r"), [("a".to_string(), 0)]);
}

#[test]
fn line_endings() {
    let want = vec![
        ("a".to_string(), 0),
        ("b".to_string(), 1),
        ("".to_string(), 2),
        ("c".to_string(), 3),
    ];
    assert_eq!(lines(b"a\nb\n\nc\n"), want);
    assert_eq!(lines(b"a\r\nb\r\n\r\nc"), want);
    assert_eq!(lines(b"a\rb\r\rc\r"), want);
    assert_eq!(lines(b"a\r\nb\n\rc"), want);
    assert_eq!(lines(b""), vec![]);
    assert_eq!(lines(b"\n"), vec![("".to_string(), 0)]);
    assert_eq!(lines(b"only"), vec![("only".to_string(), 0)]);
}
