// One request as the matcher sees it. Each source's value is read from the host at most once per
// request and cached in a slot, so ten rules on the same header cost one host call. A view can be
// reused across requests: reset() invalidates every slot in O(1).
import { getHeader, getPropertyBytes } from "../../sdk/hostcalls";
import { HeaderMapTypeValues } from "../../sdk/types";
import { Source, sourceCount } from "./source";

/** Where values come from: the host by default; unit tests substitute their own. */
export class ValueProvider {
  /** A request header (lower-case name; pseudo-headers such as ":path" included), or null. */
  header(name: string): string | null { return getHeader(HeaderMapTypeValues.RequestHeaders, name); }
  /** A property's raw bytes (path segments joined by NUL), or null. */
  property(path: string): ArrayBuffer | null { return getPropertyBytes(path); }
}

const HOST_PROVIDER = new ValueProvider();

export class RequestView {
  private gen: u32 = 1;
  private seen: StaticArray<u32>;
  private vals: StaticArray<string | null>;

  constructor(public readonly provider: ValueProvider = HOST_PROVIDER) {
    const n = sourceCount();
    this.seen = new StaticArray<u32>(n);
    this.vals = new StaticArray<string | null>(n);
  }

  /** Forgets every cached value: call at the start of each request when reusing a view. */
  reset(): void {
    this.gen++;
    if (this.gen == 0) { // wrapped after 2^32 requests: stale stamps could collide
      const seen = this.seen;
      for (let i = 0; i < seen.length; i++) unchecked(seen[i] = 0);
      this.gen = 1;
    }
  }

  /** The value of `src` for this request (null = absent), read once and then cached. */
  value(src: Source): string | null {
    const i = src.slot;
    if (i >= this.seen.length) this.grow();
    if (unchecked(this.seen[i]) == this.gen) return unchecked(this.vals[i]);
    const v = src.compute(this);
    unchecked(this.seen[i] = this.gen);
    unchecked(this.vals[i] = v);
    return v;
  }

  // Sources interned after this view was made (another plugin configured later in the same VM).
  private grow(): void {
    const n = sourceCount();
    const seen = new StaticArray<u32>(n);
    const vals = new StaticArray<string | null>(n);
    for (let i = 0; i < this.seen.length; i++) {
      unchecked(seen[i] = this.seen[i]);
      unchecked(vals[i] = this.vals[i]);
    }
    this.seen = seen;
    this.vals = vals;
  }
}
