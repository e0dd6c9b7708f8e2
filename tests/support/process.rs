//! Child-process helpers built on `/proc` (Linux): is a pid alive, which processes descend from
//! it, which TCP ports it listens on, and bounded waiting and killing of a whole process tree.
//! Signals are sent with `/usr/bin/kill`, so no `libc` dependency is needed.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// True while `pid` names a process that has not exited (a zombie counts as exited).
pub fn pid_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(parse_stat(&stat), Some(('Z' | 'X', _))),
        Err(_) => false,
    }
}

/// The state letter and parent pid from a `/proc/<pid>/stat` line. The command name is in
/// parentheses and may itself contain spaces and parentheses, so parse from the last `)`.
fn parse_stat(stat: &str) -> Option<(char, u32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// All live descendants of `pid` (children, grandchildren, ...), found by scanning `/proc`.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(p) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some((_, ppid)) = fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .as_deref()
                .and_then(parse_stat)
            {
                children.entry(ppid).or_default().push(p);
            }
        }
    }
    let mut out = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        for &c in children.get(&p).map(Vec::as_slice).unwrap_or_default() {
            if !out.contains(&c) {
                out.push(c);
                stack.push(c);
            }
        }
    }
    out
}

/// Sends SIGKILL to `pids` (best effort: processes may already be gone).
fn sigkill(pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(pids.iter().map(u32::to_string))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Kills `child` and everything it started, then reaps `child`.
pub fn kill_tree(child: &mut Child) {
    // Stop the parent first so it cannot start new children, then kill what it left behind.
    let below = descendants(child.id());
    let _ = child.kill();
    sigkill(&below);
    let _ = child.wait();
    // Children that had not been listed yet (started between the scan and the kill) were
    // re-parented away from `child`; nothing more can be found for them.
}

/// Waits for `child` to exit for at most `timeout`; `None` if it is still running.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(e) => panic!("waiting for pid {}: {e}", child.id()),
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Runs `cmd` with `stdin`, its output in temporary files (no pipe to fill up), for at most
/// `timeout`; a command still running then is killed with everything it started. Returns its
/// output and whether it was killed.
pub fn run_captured(cmd: &mut Command, stdin: Stdio, timeout: Duration) -> (Output, bool) {
    let mut out_file = tempfile::tempfile().expect("temporary file for stdout");
    let mut err_file = tempfile::tempfile().expect("temporary file for stderr");
    cmd.stdin(stdin)
        .stdout(out_file.try_clone().expect("clone stdout file"))
        .stderr(err_file.try_clone().expect("clone stderr file"));
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("start {:?}: {e}", cmd.get_program()));
    let status = wait_timeout(&mut child, timeout);
    let timed_out = status.is_none();
    if timed_out {
        kill_tree(&mut child);
    }
    let status = match status {
        Some(status) => status,
        None => child.wait().expect("reap the killed command"),
    };
    let read = |f: &mut fs::File| {
        let mut buf = Vec::new();
        f.seek(SeekFrom::Start(0))
            .and_then(|_| f.read_to_end(&mut buf))
            .expect("read output");
        buf
    };
    let output = Output {
        status,
        stdout: read(&mut out_file),
        stderr: read(&mut err_file),
    };
    (output, timed_out)
}

/// The local addresses of the TCP sockets in LISTEN state that `pid` holds open.
pub fn listening_addrs(pid: u32) -> Vec<SocketAddr> {
    let mut inodes = HashSet::new();
    if let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) {
        for fd in fds.flatten() {
            if let Ok(target) = fs::read_link(fd.path()) {
                let target = target.to_string_lossy();
                if let Some(inode) = target
                    .strip_prefix("socket:[")
                    .and_then(|s| s.strip_suffix(']'))
                {
                    inodes.insert(inode.to_string());
                }
            }
        }
    }
    let mut out = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if f.len() < 10 || f[3] != "0A" || !inodes.contains(f[9]) {
                continue;
            }
            if let Some(addr) = parse_proc_addr(f[1]) {
                out.push(addr);
            }
        }
    }
    out
}

/// Parses `/proc/net/tcp{,6}` address notation: the address as native-endian 32-bit words in
/// hex, a colon, the port in hex.
fn parse_proc_addr(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| {
        u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16)
            .ok()
            .map(u32::to_ne_bytes)
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}
