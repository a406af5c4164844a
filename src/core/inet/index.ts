/** Internet primitives shared by every layer: addresses (parse, format, compare), the RFC 1071 checksum, MD5/HMAC-MD5. */
export * from './address.js';
export * from './checksum.js';
export * from './md5.js';
