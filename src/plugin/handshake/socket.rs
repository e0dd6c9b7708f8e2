//! The private unix socket the plugin listens on, and its removal on every way out.
//!
//! Only the user who runs Terraform may connect to it:
//! - On Linux, connecting to a unix socket needs write permission on the socket file
//!   (unix(7)), so an owner-only (0600) socket directly in the temporary directory is private.
//!   The mode is set on the socket before `bind` creates the file, so there is no moment in
//!   which the file exists with a wider mode. This is go-plugin's own layout (a socket in the
//!   temporary directory), with a narrower mode, and it costs two file-system calls per
//!   provider start (bind, unlink) where a folder costs four.
//! - Elsewhere (macOS and the BSDs, where socket permissions have been ignored in the past,
//!   as unix(7) warns), the socket goes into a new 0700 folder, which is private everywhere.
//!
//! Either way the name is new for each start, an existing file is never reused or replaced
//! (`bind` and `mkdir` fail on it and the next name is tried), and [`PrivateSocket`] removes
//! what was made when it is dropped.

use std::io;
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::UnixListener;

/// How many new names are tried before giving up.
const ATTEMPTS: u32 = 16;

/// The socket's name inside its private folder, where the platform needs one.
const NAME_IN_FOLDER: &str = "plugin.sock";

/// The private socket's file (and its folder, where it has one), removed on drop.
#[derive(Debug)]
pub(super) struct PrivateSocket {
    socket: PathBuf,
    folder: Option<PathBuf>,
}

impl PrivateSocket {
    /// The socket's path, for the handshake line.
    pub(super) fn path(&self) -> &Path {
        &self.socket
    }
}

impl Drop for PrivateSocket {
    /// Removes the socket, then its folder: nothing else is ever in it, so two calls do what a
    /// recursive removal would, without listing the folder.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        if let Some(folder) = &self.folder {
            let _ = std::fs::remove_dir(folder);
        }
    }
}

/// A listening private socket in the temporary directory, in the form this platform keeps
/// private (see the module documentation).
pub(super) fn private_socket() -> io::Result<(PrivateSocket, UnixListener)> {
    let base = std::env::temp_dir();
    if cfg!(target_os = "linux") {
        owner_only_socket(&base)
    } else {
        socket_in_private_folder(&base)
    }
}

/// An owner-only (0600) socket directly in `base`.
fn owner_only_socket(base: &Path) -> io::Result<(PrivateSocket, UnixListener)> {
    first_new_name(|name| bind_owner_only(base.join(format!("{name}.sock"))))
}

/// Binds an owner-only socket at `path`; a file already there is left as it is (`EADDRINUSE`).
fn bind_owner_only(path: PathBuf) -> io::Result<(PrivateSocket, UnixListener)> {
    let socket = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)?;
    // Linux gives the file `bind` creates the mode of the unbound socket, less the umask.
    // SAFETY: `fchmod` only reads its arguments; the descriptor is open and owned by `socket`.
    if unsafe { libc::fchmod(socket.as_raw_fd(), 0o600) } != 0 {
        return Err(io::Error::last_os_error());
    }
    socket.bind(&socket2::SockAddr::unix(&path)?)?;
    let made = PrivateSocket {
        socket: path,
        folder: None,
    };
    let listener = listen(socket)?;
    Ok((made, listener))
}

/// A socket in a new 0700 folder of `base`.
fn socket_in_private_folder(base: &Path) -> io::Result<(PrivateSocket, UnixListener)> {
    let folder = first_new_name(|name| {
        let folder = base.join(name);
        std::fs::DirBuilder::new().mode(0o700).create(&folder)?;
        Ok(folder)
    })?;
    let made = PrivateSocket {
        socket: folder.join(NAME_IN_FOLDER),
        folder: Some(folder),
    };
    let listener = UnixListener::bind(made.path())?;
    Ok((made, listener))
}

/// Listens on a bound socket, handing it to tokio.
fn listen(socket: socket2::Socket) -> io::Result<UnixListener> {
    socket.listen(128)?;
    socket.set_nonblocking(true)?;
    UnixListener::from_std(socket.into())
}

/// Calls `make` with new names until one is free: a name that exists already (`EEXIST` from
/// `mkdir`, `EADDRINUSE` from `bind`) moves on to the next; any other error ends the search.
fn first_new_name<T>(mut make: impl FnMut(&str) -> io::Result<T>) -> io::Result<T> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut last_error = None;
    for attempt in 0..ATTEMPTS {
        let name = format!(
            "terraform-provider-todo-{}-{:x}",
            std::process::id(),
            nanos.wrapping_add(attempt)
        );
        match make(&name) {
            Ok(made) => return Ok(made),
            Err(error) if is_taken(&error) => last_error = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free socket name")))
}

fn is_taken(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::AlreadyExists | io::ErrorKind::AddrInUse
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> Option<u32> {
        std::fs::symlink_metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o777)
    }

    fn entries(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn an_owner_only_socket_is_made_with_mode_0600_and_removed() {
        let base = tempfile::tempdir().expect("temporary directory");
        let (made, listener) = owner_only_socket(base.path()).expect("socket");
        assert_eq!(made.path().parent(), Some(base.path()));
        assert_eq!(mode(made.path()), Some(0o600));
        let client = tokio::net::UnixStream::connect(made.path()).await;
        assert!(client.is_ok(), "{client:?}");
        assert!(listener.accept().await.is_ok());
        drop(listener);
        drop(made);
        assert_eq!(entries(base.path()), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_socket_in_a_private_folder_is_made_with_mode_0700_and_removed() {
        let base = tempfile::tempdir().expect("temporary directory");
        let (made, _listener) = socket_in_private_folder(base.path()).expect("socket");
        let folder = made.path().parent().map(Path::to_owned);
        assert_eq!(folder.as_deref().and_then(Path::parent), Some(base.path()));
        assert_eq!(folder.as_deref().and_then(mode), Some(0o700));
        drop(made);
        assert_eq!(entries(base.path()), Vec::<String>::new());
    }

    #[test]
    fn a_taken_name_moves_on_to_a_new_one_and_any_other_error_stops() {
        let mut names = Vec::new();
        let made = first_new_name(|name| {
            names.push(name.to_owned());
            if names.len() < 3 {
                Err(io::Error::from(io::ErrorKind::AddrInUse))
            } else {
                Ok(name.to_owned())
            }
        });
        assert_eq!(made.ok().as_ref(), names.last());
        assert_eq!(names.len(), 3);
        assert!(names[0] != names[1] && names[1] != names[2], "{names:?}");

        let always_taken =
            first_new_name::<()>(|_| Err(io::Error::from(io::ErrorKind::AlreadyExists)));
        assert!(always_taken.is_err());
        let mut calls = 0;
        let other = first_new_name::<()>(|_| {
            calls += 1;
            Err(io::Error::from(io::ErrorKind::PermissionDenied))
        });
        assert_eq!(
            other.map_err(|e| e.kind()),
            Err(io::ErrorKind::PermissionDenied)
        );
        assert_eq!(calls, 1, "only a taken name moves on");
    }

    #[tokio::test]
    async fn binding_where_a_file_exists_is_a_taken_name_and_leaves_the_file_alone() {
        let base = tempfile::tempdir().expect("temporary directory");
        let existing = base.path().join("taken.sock");
        std::fs::write(&existing, "someone else's").expect("file");
        let error = bind_owner_only(existing.clone()).err();
        assert!(error.as_ref().is_some_and(is_taken), "{error:?}");
        assert_eq!(
            std::fs::read_to_string(&existing).ok().as_deref(),
            Some("someone else's")
        );
    }

    #[tokio::test]
    async fn a_path_too_long_for_a_socket_is_an_error_that_leaves_nothing_behind() {
        let base = tempfile::tempdir().expect("temporary directory");
        let long = base.path().join("x".repeat(120));
        std::fs::create_dir(&long).expect("long folder");
        assert!(owner_only_socket(&long).is_err());
        assert!(socket_in_private_folder(&long).is_err());
        assert_eq!(entries(&long), Vec::<String>::new());
    }
}
