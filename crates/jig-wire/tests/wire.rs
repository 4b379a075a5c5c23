//! The jig wire: literal frames, round trips of every message, and a decoder that survives
//! anything the line can do to it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use jig_wire::frame::{Decoder, FrameError, MAX_FRAME, crc16, decode, encode};
use jig_wire::*;
use proptest::prelude::*;

fn frame_of<T: serde::Serialize>(message: &T) -> Vec<u8> {
    let mut out = [0u8; MAX_FRAME];
    let n = encode(message, &mut out).unwrap();
    out[..n].to_vec()
}

/// Everything a decoder reports for `bytes` fed in chunks of `chunk`.
fn decode_all(bytes: &[u8], chunk: usize) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        decoder.feed(piece, |r| out.push(r.map(<[u8]>::to_vec)));
    }
    out
}

/// A host frame encodes to `wire` and decodes back.
fn check_host(frame: &HostFrame<'_>, wire: &[u8]) {
    assert_eq!(frame_of(frame), wire, "{frame:?}");
    let payloads = decode_all(wire, 3);
    assert_eq!(payloads.len(), 1);
    let payload = payloads[0].clone().unwrap();
    assert_eq!(&decode::<HostFrame<'_>>(&payload).unwrap(), frame);
}

#[test]
fn literal_frames() {
    // Hello from host request 1 with protocol 1: postcard 01 00 01, CRC-16 0xEB8D little-endian,
    // COBS 02 01 04 01 8D EB, between two 00 delimiters.
    check_host(
        &HostFrame {
            id: 1,
            request: Request::Hello { protocol: 1 },
        },
        &[0x00, 0x02, 0x01, 0x04, 0x01, 0x8D, 0xEB, 0x00],
    );
    assert_eq!(crc16(b"123456789"), 0x29B1);
}

#[test]
fn every_message_round_trips() {
    let taps: heapless::Vec<u16, MAX_TAPS> = [320u16, 640, 961].into_iter().collect();
    let jig = [
        JigFrame::Response {
            id: 1,
            response: Response::Hello {
                protocol: PROTOCOL_VERSION,
                firmware: "hashbench-jig 0.1.0",
                max_baud: 3_125_000,
                simulated: false,
            },
        },
        JigFrame::Response {
            id: 2,
            response: Response::Ok,
        },
        JigFrame::Response {
            id: 3,
            response: Response::Synced { now_us: 1_234_567 },
        },
        JigFrame::Response {
            id: 4,
            response: Response::Telemetry(Telemetry {
                at_us: 9,
                taps_mv: taps,
                input_mv: 13_400,
                input_ma: 24_000,
            }),
        },
        JigFrame::Response {
            id: 5,
            response: Response::Temperature { centi_c: -1250 },
        },
        JigFrame::Response {
            id: 6,
            response: Response::Bytes(b"HB\x01SIM"),
        },
        JigFrame::Response {
            id: 7,
            response: Response::Error(DeviceError::VersionMismatch { jig: 2 }),
        },
        JigFrame::Event(Event::AsicRx {
            at_us: 77,
            bytes: &[
                0xAA, 0x55, 0x13, 0x62, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1E,
            ],
        }),
        JigFrame::Event(Event::Trip {
            reason: TripReason::LeaseExpired,
            at_us: 1_000_000,
        }),
        JigFrame::Event(Event::Plug { present: false }),
        JigFrame::Event(Event::Overflow { dropped: 12 }),
        JigFrame::Event(Event::Trip {
            reason: TripReason::Unplugged,
            at_us: 9,
        }),
        JigFrame::Event(Event::Trip {
            reason: TripReason::SensorFailed,
            at_us: 10,
        }),
        JigFrame::Response {
            id: 8,
            response: Response::Stats(jig_wire::JigStats {
                worst_loop_gap_us: 1_900,
                rx_dropped_bytes: 0,
                uart_errors: 2,
                usb_dropped: 0,
                pic_heartbeats: 12,
                pic_heartbeats_missed: 1,
            }),
        },
    ];
    for message in &jig {
        let wire = frame_of(message);
        let payload = decode_all(&wire, 1).remove(0).unwrap();
        assert_eq!(&decode::<JigFrame<'_>>(&payload).unwrap(), message);
    }
    let host = [
        Request::SetPower { on: true },
        Request::SetReset { asserted: false },
        Request::SetBaud { baud: 3_125_000 },
        Request::Sync { until_us: u64::MAX },
        Request::Measure { taps: 0 },
        Request::ReadTemperature {
            sensor: SensorAddress {
                kind: 0,
                i2c_address: Some(0x48),
                via_chip: None,
            },
        },
        Request::ReadEeprom { offset: 0, len: 32 },
        Request::Lease { ms: 1000 },
        Request::Measure { taps: 42 },
        Request::ClearTrip,
        Request::Stats,
    ];
    for (id, request) in host.into_iter().enumerate() {
        let frame = HostFrame {
            id: id as u16,
            request,
        };
        let wire = frame_of(&frame);
        let payload = decode_all(&wire, 2).remove(0).unwrap();
        assert_eq!(decode::<HostFrame<'_>>(&payload).unwrap(), frame);
    }
}

#[test]
fn damaged_frames_are_dropped_with_a_reason() {
    let good = frame_of(&HostFrame {
        id: 9,
        request: Request::Measure { taps: 0 },
    });
    let mut flipped = good.clone();
    flipped[2] ^= 0x10;
    assert!(matches!(
        decode_all(&flipped, 4)[0],
        Err(FrameError::Crc { .. } | FrameError::Cobs)
    ));
    assert_eq!(
        decode_all(&[0x00, 0x01, 0x00], 1),
        vec![Err(FrameError::TooShort)]
    );
    let long = vec![0x11u8; MAX_FRAME + 10];
    let mut overflow = long.clone();
    overflow.push(0);
    overflow.extend_from_slice(&good);
    let seen = decode_all(&overflow, 64);
    assert_eq!(seen[0], Err(FrameError::Overflow));
    assert!(seen[1].is_ok(), "the frame after an overflow is still read");
    // A payload that is no message of this protocol.
    let junk = frame_of(&(0xFFu8, 0xFFu8, 0xFFu8));
    let payload = decode_all(&junk, 8).remove(0).unwrap();
    assert_eq!(decode::<HostFrame<'_>>(&payload), Err(FrameError::Message));
}

proptest! {
    #[test]
    fn the_decoder_never_panics(input in proptest::collection::vec(any::<u8>(), 0..2000), chunk in 1usize..64) {
        let mut decoder = Decoder::new();
        for piece in input.chunks(chunk) {
            decoder.feed(piece, |r| {
                if let Ok(payload) = r {
                    let _ = decode::<HostFrame<'_>>(payload);
                    let _ = decode::<JigFrame<'_>>(payload);
                }
            });
        }
    }

    #[test]
    fn a_valid_frame_after_garbage_or_a_cut_frame_is_read(
        garbage in proptest::collection::vec(any::<u8>(), 0..300),
        cut in 0usize..12,
        chunk in 1usize..40,
        until in any::<u64>(),
    ) {
        let message = HostFrame { id: 42, request: Request::Sync { until_us: until } };
        let good = frame_of(&message);
        let mut input = garbage.clone();
        input.extend_from_slice(&good[..cut.min(good.len() - 1)]);
        input.extend_from_slice(&good);
        let frames = decode_all(&input, chunk);
        let last = frames.last().cloned().unwrap().unwrap();
        prop_assert_eq!(decode::<HostFrame<'_>>(&last).unwrap(), message);
    }

    #[test]
    fn a_single_bit_error_is_never_accepted(bit in 0usize..512, id in any::<u16>(), baud in any::<u32>()) {
        let good = frame_of(&HostFrame { id, request: Request::SetBaud { baud } });
        let mut bad = good.clone();
        // Flip one bit between the delimiters.
        let at = 1 + (bit / 8) % (good.len() - 2);
        bad[at] ^= 1 << (bit % 8);
        let accepted = decode_all(&bad, 5).into_iter().filter(Result::is_ok).count();
        prop_assert_eq!(accepted, 0);
    }
}
