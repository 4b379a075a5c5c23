//! The jig-wire client against a scripted jig: handshake, version, silence, garbage and events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use std::collections::VecDeque;
use std::time::Duration;

use diagnosis::jig::{Jig, JigError, Trip};
use jig_wire::frame::{Decoder, MAX_FRAME};
use jig_wire::*;
use link::{Client, Transport};

/// A jig that answers each request with what `script` says.
struct Scripted<F> {
    script: F,
    decoder: Decoder,
    out: VecDeque<u8>,
}

impl<F> std::fmt::Debug for Scripted<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

fn frame<T: serde::Serialize>(f: &T) -> Vec<u8> {
    let mut buf = [0u8; MAX_FRAME];
    let n = encode(f, &mut buf).unwrap();
    buf[..n].to_vec()
}

impl<F: FnMut(u16, &Request<'_>) -> Vec<u8>> Transport for Scripted<F> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut payloads = Vec::new();
        self.decoder
            .feed(bytes, |p| payloads.push(p.unwrap().to_vec()));
        for p in payloads {
            let host: HostFrame<'_> = decode(&p).unwrap();
            let reply = (self.script)(host.id, &host.request);
            self.out.extend(reply);
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> std::io::Result<usize> {
        let n = buf.len().min(self.out.len());
        for (slot, b) in buf.iter_mut().zip(self.out.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

fn scripted<F: FnMut(u16, &Request<'_>) -> Vec<u8>>(script: F) -> Scripted<F> {
    Scripted {
        script,
        decoder: Decoder::new(),
        out: VecDeque::new(),
    }
}

fn hello(id: u16, protocol: u16) -> Vec<u8> {
    frame(&JigFrame::Response {
        id,
        response: Response::Hello {
            protocol,
            firmware: "fake 1.0",
            max_baud: 3_125_000,
            simulated: false,
        },
    })
}

/// A jig that handshakes, then answers everything else with `rest`.
fn jig_then(
    rest: impl FnMut(u16, &Request<'_>) -> Vec<u8>,
) -> impl FnMut(u16, &Request<'_>) -> Vec<u8> {
    let mut rest = rest;
    move |id, request| match request {
        Request::Hello { .. } => hello(id, PROTOCOL_VERSION),
        other => rest(id, other),
    }
}

#[test]
fn a_jig_with_another_protocol_is_refused_with_what_to_update() {
    let err = Client::connect(
        scripted(|id, _| hello(id, PROTOCOL_VERSION + 1)),
        Duration::from_millis(100),
    )
    .unwrap_err();
    assert!(err.to_string().contains("update the jig firmware"), "{err}");
    let err = Client::connect(
        scripted(|id, _| {
            frame(&JigFrame::Response {
                id,
                response: Response::Error(DeviceError::VersionMismatch { jig: 9 }),
            })
        }),
        Duration::from_millis(100),
    )
    .unwrap_err();
    assert!(err.to_string().contains("protocol 9"), "{err}");
}

#[test]
fn a_silent_port_times_out() {
    let err = Client::connect(scripted(|_, _| Vec::new()), Duration::from_millis(50)).unwrap_err();
    assert_eq!(err, JigError::Timeout { after_ms: 50 });
}

#[test]
fn garbage_and_unknown_frames_are_counted_and_skipped() {
    let mut client = Client::connect(
        scripted(|id, request| {
            let mut bytes = vec![0x13, 0x37, 0x00, 0x42, 0x00];
            bytes.extend(frame(&(1u8, 2u8, 3u8, 4u8, 5u8, 6u8)));
            bytes.extend(match request {
                Request::Sync { until_us } => frame(&JigFrame::Response {
                    id,
                    response: Response::Synced { now_us: *until_us },
                }),
                _ => hello(id, PROTOCOL_VERSION),
            });
            bytes
        }),
        Duration::from_millis(100),
    )
    .unwrap();
    assert_eq!(client.info().unwrap().firmware, "fake 1.0");
    assert!(
        client.stats.dropped_frames >= 1 || client.stats.unknown_frames >= 1,
        "{:?}",
        client.stats
    );
}

#[test]
fn chain_bytes_come_with_jig_timestamps_and_trips_stop_the_run() {
    let mut client = Client::connect(
        scripted(jig_then(|id, request| match request {
            // The handshake's clock reading gets nothing but the time.
            Request::Sync { until_us: 0 } => frame(&JigFrame::Response {
                id,
                response: Response::Synced { now_us: 7 },
            }),
            Request::Sync { until_us } if *until_us < 1000 => {
                let mut b = frame(&JigFrame::Event(Event::AsicRx {
                    at_us: 420,
                    bytes: &[0xAA, 0x55],
                }));
                b.extend(frame(&JigFrame::Response {
                    id,
                    response: Response::Synced { now_us: *until_us },
                }));
                b
            }
            Request::Sync { until_us } => {
                let mut b = frame(&JigFrame::Event(Event::Trip {
                    reason: TripReason::OverCurrent,
                    at_us: 1500,
                }));
                b.extend(frame(&JigFrame::Response {
                    id,
                    response: Response::Synced { now_us: *until_us },
                }));
                b
            }
            _ => frame(&JigFrame::Response {
                id,
                response: Response::Ok,
            }),
        })),
        Duration::from_millis(100),
    )
    .unwrap();
    let mut rx = Vec::new();
    client.wait_until(500, &mut rx).unwrap();
    assert_eq!(rx.len(), 1);
    assert_eq!((rx[0].at_us, rx[0].bytes.clone()), (420, vec![0xAA, 0x55]));
    assert_eq!(client.now_us().unwrap(), 500);
    assert_eq!(
        client.wait_until(2000, &mut rx),
        Err(JigError::Tripped(Trip::OverCurrent))
    );
    // Until the trip is cleared, every request that drives the board is refused with the reason.
    assert_eq!(
        client.set_reset(false),
        Err(JigError::Tripped(Trip::OverCurrent))
    );
    client.clear_trip().unwrap();
    client.set_reset(false).unwrap();
}

#[test]
fn the_client_starts_at_the_jigs_clock() {
    let client = Client::connect(
        scripted(jig_then(|id, request| match request {
            Request::Sync { until_us } => frame(&JigFrame::Response {
                id,
                response: Response::Synced {
                    now_us: (*until_us).max(1_234_567),
                },
            }),
            _ => frame(&JigFrame::Response {
                id,
                response: Response::Ok,
            }),
        })),
        Duration::from_millis(100),
    )
    .unwrap();
    // A jig that has run for 1.2 s: "wait 200 ms" must not end at once.
    let mut client = client;
    assert_eq!(client.now_us().unwrap(), 1_234_567);
}

#[test]
fn an_unplugged_board_ends_the_run() {
    let mut client = Client::connect(
        scripted(jig_then(|id, request| match request {
            Request::Sync { until_us } => {
                let mut b = frame(&JigFrame::Event(Event::Plug { present: false }));
                b.extend(frame(&JigFrame::Response {
                    id,
                    response: Response::Synced { now_us: *until_us },
                }));
                b
            }
            _ => frame(&JigFrame::Response {
                id,
                response: Response::Ok,
            }),
        })),
        Duration::from_millis(100),
    )
    .unwrap();
    let err = client.wait_until(10, &mut Vec::new()).unwrap_err();
    assert!(matches!(err, JigError::Disconnected(_)), "{err}");
}
