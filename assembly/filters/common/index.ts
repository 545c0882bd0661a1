// The shared condition matcher (tagging and rate-limit filters). See README.md in this folder.
export { Condition, Leaf, OPERATORS, parseCondition, parseDecimal, decimalMod } from "./condition";
export { Source, SourceKind, SOURCE_NAMES, parseSource, internSource, sourceCount, cookieValue, queryValue, percentDecode } from "./source";
export { RequestView, ValueProvider } from "./request-view";
export { CidrSet, parseIp, isV4, ipHi, ipLo } from "./ip";
export { stickyBucket, fnv1a64, fmix64, percentToBuckets, BUCKETS } from "./hash";
