// The shared condition matcher (tagging and rate-limit filters). See README.md in this folder.
export { Condition, Leaf, OPERATORS, parseCondition, parseDecimal, decimalMod, parseDecimalBytes, decimalModBytes } from "./condition";
export { Source, SourceKind, SOURCE_NAMES, parseSource, internSource, sourceCount, cookieValue, queryValue, percentDecode, indexOfByte } from "./source";
export { RequestView, ValueProvider } from "./request-view";
export { CidrSet, parseIp, parseIpBytes, isV4, ipHi, ipLo } from "./ip";
export { stickyBucket, stickyBucketBytes, fnv1a64, fnv1a64Bytes, fmix64, percentToBuckets, BUCKETS } from "./hash";
