/** A header (or property, or foreign-function) name encoded once, at configure time. */
export class RawName {
  readonly bytes: ArrayBuffer;
  readonly ptr: usize;
  readonly len: usize;
  constructor(public readonly name: string) {
    this.bytes = String.UTF8.encode(name);
    this.ptr = changetype<usize>(this.bytes);
    this.len = <usize>this.bytes.byteLength;
  }
}
