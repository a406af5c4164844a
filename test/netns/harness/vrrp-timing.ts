/**
 * The protocol's timing bounds, written out from the RFCs (independently of src/vrrp) so tests can hold the
 * daemons to them: RFC 3768 §6.1 (VRRPv2) and RFC 5798 §6.1 (VRRPv3).
 */

/** Skew_Time in ms: v2 (256 − Priority)/256 s; v3 ((256 − Priority) × Master_Adver_Interval)/256. */
export function skewTimeMs(version: 2 | 3, priority: number, adverIntervalMs: number): number {
  return version === 2 ? ((256 - priority) * 1000) / 256 : ((256 - priority) * adverIntervalMs) / 256;
}

/** Master_Down_Interval in ms: 3 × Master_Adver_Interval + Skew_Time. */
export function masterDownIntervalMs(version: 2 | 3, priority: number, adverIntervalMs: number): number {
  return 3 * adverIntervalMs + skewTimeMs(version, priority, adverIntervalMs);
}
