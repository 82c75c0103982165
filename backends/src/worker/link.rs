//! The worker's end of a timing job's conversation with the parent (see
//! [`super::protocol`]): the pipes the parent gave as standard input and output, moved
//! to descriptors of their own before any kernel is loaded, so that whatever a kernel
//! prints goes to its log instead of into the conversation.

use super::protocol::{ParentMessage, WorkerMessage};
use crate::backend::BackendError;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsFd;

/// The worker's end of the conversation.
pub struct ParentLink {
    from_parent: BufReader<std::fs::File>,
    to_parent: std::fs::File,
}

fn protocol(what: &str) -> impl FnOnce(std::io::Error) -> BackendError + '_ {
    move |e| BackendError::Protocol(format!("{what}: {e}"))
}

impl ParentLink {
    /// Takes standard input and output for the conversation and points them at
    /// `/dev/null` and standard error instead.
    pub fn take_standard_streams() -> Result<ParentLink, BackendError> {
        let from_parent = std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map_err(protocol("keeping the parent's pipe"))?;
        let to_parent = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(protocol("keeping the parent's pipe"))?;
        let null = std::fs::File::open("/dev/null").map_err(protocol("opening /dev/null"))?;
        // SAFETY: dup2 on descriptors this process owns; 0 and 1 now name /dev/null and
        // the log, the pipes live on under the descriptors duplicated above.
        let moved = unsafe {
            libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0) == 0 && libc::dup2(2, 1) == 1
        };
        if !moved {
            return Err(BackendError::Protocol(format!(
                "moving the standard streams aside: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(ParentLink {
            from_parent: BufReader::new(std::fs::File::from(from_parent)),
            to_parent: std::fs::File::from(to_parent),
        })
    }

    /// Sends one message.
    pub fn send(&mut self, message: &WorkerMessage) -> Result<(), BackendError> {
        writeln!(self.to_parent, "{}", message.to_line()).map_err(protocol("telling the parent"))
    }

    /// Waits for the parent's next message.
    pub fn receive(&mut self) -> Result<ParentMessage, BackendError> {
        let mut line = String::new();
        self.from_parent
            .read_line(&mut line)
            .map_err(protocol("hearing from the parent"))?;
        ParentMessage::parse(line.trim_end())
            .ok_or_else(|| BackendError::Protocol(format!("the parent said {line:?}")))
    }
}
