//! The `mio-poll` example drives a client through `Driver::process` from a mio loop.

mod support;

#[test]
fn mio_poll_example_logs_in_echoes_a_message_and_closes() {
    let out = support::example("mio-poll", &[]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "juliet@localhost/poll: hello from a mio loop\nclosed: Graceful\n"
    );
}
