/** Configuration models for the daemon tests, parsed from text by src/config. */
import { loadConfig, type KeepalivedConfig } from '../../../src/config/index.js';

/** The model of `text` (as if read from keepalived.conf; no host checks). */
export function model(text = ''): KeepalivedConfig {
  return loadConfig('keepalived.conf', { configId: 'test', fs: { readFile: () => text, listDir: () => [] } }).config;
}

/** A model with one minimal vrrp_instance per name. */
export function instances(...names: string[]): KeepalivedConfig {
  return model(
    names
      .map(
        (n, i) =>
          `vrrp_instance ${n} {\n  interface eth0\n  virtual_router_id ${i + 1}\n  priority 100\n  virtual_ipaddress {\n    192.0.2.${i + 1}\n  }\n}\n`,
      )
      .join(''),
  );
}
