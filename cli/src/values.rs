//! Reading records' JSON texts from a stream as it comes (`mapi send`).

/// Splits JSON input into its records' texts as it reads: JSON Lines, objects one after the
/// other (on one line or several), or one top-level array of objects (its elements). Memory
/// holds one record's text at a time, whatever the input's size.
pub(crate) struct Values<R> {
    input: R,
    /// The line the next byte is on.
    line: usize,
    /// Inside the top-level array; it ended.
    in_array: bool,
    ended: bool,
    /// A value was read (a `[` after that is not the top-level array's).
    started: bool,
}

impl<R: std::io::BufRead> Values<R> {
    pub(crate) fn new(input: R) -> Values<R> {
        Values {
            input,
            line: 1,
            in_array: false,
            ended: false,
            started: false,
        }
    }

    fn byte(&mut self) -> std::io::Result<Option<u8>> {
        let b = match self.input.fill_buf()? {
            [] => return Ok(None),
            buf => buf[0],
        };
        self.input.consume(1);
        if b == b'\n' {
            self.line += 1;
        }
        Ok(Some(b))
    }

    /// The next record's text and the line it starts on; `None` at the end.
    pub(crate) fn next_value(&mut self) -> messageapi::Result<Option<(usize, String)>> {
        let io = |e: std::io::Error| messageapi::Error::Io(format!("cannot read: {e}"));
        // Up to the value's first byte: whitespace, and in an array the commas between.
        let first = loop {
            match self.byte().map_err(io)? {
                None if self.in_array && !self.ended => {
                    return Err(messageapi::Error::Json(format!(
                        "line {}: the array does not end",
                        self.line
                    )))
                }
                None => return Ok(None),
                Some(b) if b.is_ascii_whitespace() => {}
                Some(b'[') if !self.in_array && !self.started => self.in_array = true,
                Some(b',') if self.in_array && !self.ended => {}
                Some(b']') if self.in_array && !self.ended => self.ended = true,
                Some(b) if self.ended => {
                    return Err(messageapi::Error::Json(format!(
                        "line {}: unexpected {:?} after the array",
                        self.line, b as char
                    )))
                }
                Some(b) => break b,
            }
        };
        self.started = true;
        let line = self.line;
        let mut text = vec![first];
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        let mut track = |b: u8, depth: &mut usize| {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => *depth += 1,
                    b'}' | b']' => *depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        };
        track(first, &mut depth);
        // A value ends where its brackets close (or, for a bare scalar, at whitespace, a comma
        // or the array's end: the record reader then says what is wrong with it).
        while depth > 0 || (first != b'{' && first != b'[') {
            let Some(b) = self.peek().map_err(io)? else {
                break;
            };
            if depth == 0 && (b.is_ascii_whitespace() || b == b',' || b == b']') {
                break;
            }
            self.byte().map_err(io)?;
            text.push(b);
            track(b, &mut depth);
            if depth == 0 && (first == b'{' || first == b'[') {
                break;
            }
        }
        String::from_utf8(text)
            .map(|t| Some((line, t)))
            .map_err(|_| messageapi::Error::Json(format!("line {line}: not UTF-8")))
    }

    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.input.fill_buf()?.first().copied())
    }
}
