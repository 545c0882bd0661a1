// Which incoming request ids are kept. A kept id is forwarded, echoed and logged byte for byte (it is
// never decoded as text), so it must be bytes a header value may carry (RFC 9110 §5.5: field-vchar =
// VCHAR / obs-text, with SP and HTAB inside) and short enough to keep per live stream.

/** Longest request id kept (Rails keeps 255 characters, Heroku accepts 20–200): a UUID is 36. */
export const MAX_REQUEST_ID: usize = 256;

/**
 * True when the `len` bytes at `p` can be kept as the request id: 1 to MAX_REQUEST_ID bytes, none of
 * them a control character other than HTAB (NUL, CR, LF, … and DEL are refused); bytes 0x80–0xFF
 * (obs-text, e.g. invalid UTF-8) are kept as they are.
 */
export function keepableRequestId(p: usize, len: usize): bool {
  if (len == 0 || len > MAX_REQUEST_ID) return false;
  for (let i: usize = 0; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) return false;
  }
  return true;
}
