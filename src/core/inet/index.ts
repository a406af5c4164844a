/** Internet primitives shared by every layer: addresses (parse, format, compare) and the RFC 1071 checksum. */
export * from './address.js';
export * from './checksum.js';
