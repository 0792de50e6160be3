//! Bencoding, the serialisation rtpengine's NG control protocol uses:
//! integers `i42e`, byte strings `4:spam`, lists `l…e` and dictionaries
//! `d…e` whose keys are byte strings.
//!
//! The encoder writes dictionary keys in sorted order, as the format asks.
//! The decoder does not insist on that order, because rtpengine's replies
//! do not keep it (`d3:sdp…6:result2:oke`). It refuses anything else that
//! is not well formed, including trailing bytes, and never panics: its
//! input is a datagram from another process.

use std::collections::BTreeMap;

use thiserror::Error;

/// Nesting deeper than this is refused, so hostile input cannot exhaust
/// the stack. rtpengine's replies nest five or six levels.
const MAX_DEPTH: usize = 64;

/// A bencoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Dict(BTreeMap<Vec<u8>, Value>),
}

/// Why a datagram is not bencoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BencodeError {
    /// The input stopped inside a value.
    #[error("input ends inside a value")]
    UnexpectedEnd,
    /// A byte that cannot start a value (or end a container) here.
    #[error("unexpected byte {byte:#04x} at offset {at}")]
    UnexpectedByte { at: usize, byte: u8 },
    /// An integer that is empty, has leading zeros, is `-0` or does not fit
    /// in an i64.
    #[error("malformed integer at offset {at}")]
    BadInteger { at: usize },
    /// A string length that is malformed or longer than the input.
    #[error("malformed string length at offset {at}")]
    BadLength { at: usize },
    /// A dictionary key that is not a byte string.
    #[error("dictionary key at offset {at} is not a string")]
    KeyNotString { at: usize },
    /// More than [`MAX_DEPTH`] nested lists and dictionaries.
    #[error("nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Bytes left over after the first complete value.
    #[error("trailing bytes at offset {at}")]
    TrailingBytes { at: usize },
}

impl Value {
    /// A dictionary from `(key, value)` pairs.
    pub fn dict<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Dict(entries.into_iter().map(|(k, v)| (k.as_bytes().to_vec(), v)).collect())
    }

    /// Appends the encoding of `self` to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Value::Int(i) => {
                out.push(b'i');
                out.extend_from_slice(i.to_string().as_bytes());
                out.push(b'e');
            }
            Value::Bytes(b) => put_bytes(out, b),
            Value::List(items) => {
                out.push(b'l');
                items.iter().for_each(|v| v.encode_into(out));
                out.push(b'e');
            }
            Value::Dict(entries) => {
                out.push(b'd');
                for (k, v) in entries {
                    put_bytes(out, k);
                    v.encode_into(out);
                }
                out.push(b'e');
            }
        }
    }

    /// The entry `key` of a dictionary.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(d) => d.get(key.as_bytes()),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// A byte string that is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()?).ok()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Bytes(s.as_bytes().to_vec())
    }
}

impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Value {
        Value::Bytes(b.to_vec())
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(b.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(b);
}

/// Decodes exactly one value that fills the whole of `input`.
pub fn decode(input: &[u8]) -> Result<Value, BencodeError> {
    let mut d = Decoder { input, at: 0 };
    let value = d.value(0)?;
    if d.at != input.len() {
        return Err(BencodeError::TrailingBytes { at: d.at });
    }
    Ok(value)
}

struct Decoder<'a> {
    input: &'a [u8],
    at: usize,
}

impl Decoder<'_> {
    fn peek(&self) -> Result<u8, BencodeError> {
        self.input.get(self.at).copied().ok_or(BencodeError::UnexpectedEnd)
    }

    fn value(&mut self, depth: usize) -> Result<Value, BencodeError> {
        if depth >= MAX_DEPTH {
            return Err(BencodeError::TooDeep);
        }
        match self.peek()? {
            b'i' => {
                self.at += 1;
                self.int().map(Value::Int)
            }
            b'0'..=b'9' => self.bytes().map(|b| Value::Bytes(b.to_vec())),
            b'l' => {
                self.at += 1;
                let mut items = Vec::new();
                while self.peek()? != b'e' {
                    items.push(self.value(depth + 1)?);
                }
                self.at += 1;
                Ok(Value::List(items))
            }
            b'd' => {
                self.at += 1;
                let mut entries = BTreeMap::new();
                while self.peek()? != b'e' {
                    if !self.peek()?.is_ascii_digit() {
                        return Err(BencodeError::KeyNotString { at: self.at });
                    }
                    let key = self.bytes()?.to_vec();
                    let value = self.value(depth + 1)?;
                    entries.insert(key, value);
                }
                self.at += 1;
                Ok(Value::Dict(entries))
            }
            byte => Err(BencodeError::UnexpectedByte { at: self.at, byte }),
        }
    }

    /// The digits of `i…e` after the `i`, and the `e`.
    fn int(&mut self) -> Result<i64, BencodeError> {
        let start = self.at;
        let len = self.input[start..].iter().position(|&b| b == b'e').ok_or(BencodeError::UnexpectedEnd)?;
        let text = &self.input[start..start + len];
        let digits = text.strip_prefix(b"-").unwrap_or(text);
        let canonical = !digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && (digits == b"0" || digits[0] != b'0')
            && text != b"-0";
        let value = std::str::from_utf8(text).ok().filter(|_| canonical).and_then(|t| t.parse().ok());
        self.at = start + len + 1;
        value.ok_or(BencodeError::BadInteger { at: start })
    }

    /// `<len>:<bytes>`.
    fn bytes(&mut self) -> Result<&[u8], BencodeError> {
        let start = self.at;
        let colon = self.input[start..].iter().position(|&b| b == b':').ok_or(BencodeError::UnexpectedEnd)?;
        let digits = &self.input[start..start + colon];
        let canonical =
            !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) && (digits == b"0" || digits[0] != b'0');
        let len: usize = std::str::from_utf8(digits)
            .ok()
            .filter(|_| canonical)
            .and_then(|t| t.parse().ok())
            .ok_or(BencodeError::BadLength { at: start })?;
        let body = start + colon + 1;
        let end =
            body.checked_add(len).filter(|&e| e <= self.input.len()).ok_or(BencodeError::BadLength { at: start })?;
        self.at = end;
        Ok(&self.input[body..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Value {
        fn encode(&self) -> Vec<u8> {
            let mut out = Vec::new();
            self.encode_into(&mut out);
            out
        }
    }

    #[test]
    fn encodes_each_kind_with_sorted_keys() {
        assert_eq!(Value::Int(42).encode(), b"i42e");
        assert_eq!(Value::Int(-7).encode(), b"i-7e");
        assert_eq!(Value::from("spam").encode(), b"4:spam");
        assert_eq!(Value::from("").encode(), b"0:");
        let list = Value::List(vec![Value::from("a"), Value::Int(0), Value::List(vec![])]);
        assert_eq!(list.encode(), b"l1:ai0elee");
        let dict =
            Value::dict([("sdp", Value::from("v=0\r\n")), ("command", "offer".into()), ("call-id", "c1".into())]);
        assert_eq!(dict.encode(), b"d7:call-id2:c17:command5:offer3:sdp5:v=0\r\ne");
    }

    #[test]
    fn decodes_an_rtpengine_reply_with_unsorted_keys() {
        let reply = b"d3:sdp14:m=audio 10000\n6:result2:ok5:codesli1ei-2ee4:tagsd2:ftd3:tag2:ftee0:0:e";
        let v = decode(reply).unwrap();
        assert_eq!(v.get("result").and_then(Value::as_str), Some("ok"));
        assert_eq!(v.get("sdp").and_then(Value::as_bytes), Some(&b"m=audio 10000\n"[..]));
        assert_eq!(v.get("codes"), Some(&Value::List(vec![Value::Int(1), Value::Int(-2)])));
        let tag = v.get("tags").and_then(|t| t.get("ft")).and_then(|t| t.get("tag"));
        assert_eq!(tag.and_then(Value::as_str), Some("ft"));
        assert_eq!(v.get(""), Some(&Value::from("")));
        assert_eq!(v.get("missing"), None);
        assert_eq!(Value::Int(1).get("result"), None);
    }

    #[test]
    fn what_is_encoded_decodes_to_the_same_value() {
        let v = Value::dict([
            ("n", Value::Int(i64::MIN)),
            ("m", Value::Int(i64::MAX)),
            ("bin", Value::from(&[0u8, 0xff, b'e', b':'][..])),
            ("l", Value::List(vec![Value::dict([("x", Value::Int(0))]), Value::from("")])),
        ]);
        assert_eq!(decode(&v.encode()), Ok(v));
    }

    #[test]
    fn refuses_malformed_input_saying_where() {
        use BencodeError::*;
        let cases: &[(&[u8], BencodeError)] = &[
            (b"", UnexpectedEnd),
            (b"i42", UnexpectedEnd),
            (b"ie", BadInteger { at: 1 }),
            (b"i-e", BadInteger { at: 1 }),
            (b"i-0e", BadInteger { at: 1 }),
            (b"i007e", BadInteger { at: 1 }),
            (b"i1x2e", BadInteger { at: 1 }),
            (b"i99999999999999999999e", BadInteger { at: 1 }),
            (b"5:abc", BadLength { at: 0 }),
            (b"01:a", BadLength { at: 0 }),
            (b"3", UnexpectedEnd),
            (b"99999999999999999999999:x", BadLength { at: 0 }),
            (b"l1:a", UnexpectedEnd),
            (b"di1e1:ae", KeyNotString { at: 1 }),
            (b"d1:ae", UnexpectedByte { at: 4, byte: b'e' }),
            (b"x", UnexpectedByte { at: 0, byte: b'x' }),
            (b"i1ei2e", TrailingBytes { at: 3 }),
            (b"4:spam ", TrailingBytes { at: 6 }),
        ];
        for (input, want) in cases {
            assert_eq!(decode(input).as_ref(), Err(want), "{:?}", String::from_utf8_lossy(input));
        }
        let deep = [vec![b'l'; MAX_DEPTH + 1], vec![b'e'; MAX_DEPTH + 1]].concat();
        assert_eq!(decode(&deep), Err(TooDeep));
        let ok = [vec![b'l'; MAX_DEPTH], vec![b'e'; MAX_DEPTH]].concat();
        assert!(decode(&ok).is_ok());
    }

    #[test]
    fn no_prefix_of_a_valid_message_panics_or_passes() {
        let msg =
            Value::dict([("a", Value::List(vec![Value::Int(-12), Value::from("xyz")])), ("b", "c".into())]).encode();
        for len in 0..msg.len() {
            assert!(decode(&msg[..len]).is_err(), "prefix of {len} bytes");
        }
        // Every single-byte corruption either decodes or is refused, never panics.
        for at in 0..msg.len() {
            for byte in [0u8, b'e', b'i', b'l', b'd', b':', b'-', b'9', 0xff] {
                let mut m = msg.clone();
                m[at] = byte;
                let _ = decode(&m);
            }
        }
    }
}
