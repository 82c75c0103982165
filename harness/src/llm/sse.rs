//! A minimal server-sent-events reader: `event:` and `data:` lines, dispatched at each
//! blank line.

/// One event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// The `event:` name, empty when absent.
    pub name: String,
    /// The `data:` lines joined by newlines.
    pub data: String,
}

/// Accumulates bytes and yields complete events.
#[derive(Debug, Default)]
pub struct Reader {
    buffer: Vec<u8>,
    current: Event,
    has_data: bool,
}

impl Reader {
    /// Feeds bytes; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(pos) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if self.has_data || !self.current.name.is_empty() {
                    events.push(std::mem::take(&mut self.current));
                    self.has_data = false;
                }
            } else if let Some(v) = line.strip_prefix("data:") {
                if self.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                self.has_data = true;
            } else if let Some(v) = line.strip_prefix("event:") {
                self.current.name = v.trim().to_string();
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks() {
        let mut r = Reader::default();
        assert!(r.feed(b"event: delta\ndata: {\"a\"").is_empty());
        let events = r.feed(b":1}\n\ndata: [DONE]\n\n");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].name, "delta");
        assert_eq!(events[0].data, "{\"a\":1}");
        assert_eq!(events[1].data, "[DONE]");
    }
}
