/**
 * keepalived 2.2.7's DBus objects (vrrp/vrrp_dbus.c, dbus/org.keepalived.Vrrp1.{Vrrp,Instance}.xml): their paths,
 * their interfaces as GDBus introspects them, and the values of their properties. Pure: no bus here
 * (src/observe/dbus/service.ts serves them).
 */

/** The bus name keepalived owns unless `dbus_service_name` says otherwise. */
export const DEFAULT_SERVICE_NAME = 'org.keepalived.Vrrp1';
/** The general object's interface. */
export const VRRP_INTERFACE = 'org.keepalived.Vrrp1.Vrrp';
/** Each instance object's interface. */
export const INSTANCE_INTERFACE = 'org.keepalived.Vrrp1.Instance';
const ROOT = '/org/keepalived/Vrrp1';

/** `net_namespace` and `instance` (or -s/-i) put their names into every path, as keepalived does. */
export interface PathScope {
  readonly netNamespace?: string;
  readonly instanceName?: string;
}

/** What an instance object is built from. */
export interface DbusInstance {
  readonly name: string;
  readonly vrid: number;
  readonly family: 4 | 6;
  /** The configured interface (a VMAC's parent); "" when the instance has none ("none" in the path). */
  readonly ifname: string;
  /** keepalived's state number: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 97 DELETED, 98 STOP. */
  readonly state: number;
}

function scoped(scope: PathScope): string {
  return `${ROOT}${scope.netNamespace !== undefined ? `/${scope.netNamespace}` : ''}${scope.instanceName !== undefined ? `/${scope.instanceName}` : ''}`;
}

/** keepalived's set_valid_path: every character of an interface name that is not a letter or digit becomes `_`. */
export function validPathElement(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '_');
}

/** `/org/keepalived/Vrrp1[/NS][/INSTANCE]/Vrrp` (the names are not made valid: keepalived does not either). */
export function vrrpObjectPath(scope: PathScope): string {
  return `${scoped(scope)}/Vrrp`;
}

/** `/org/keepalived/Vrrp1[/NS][/INSTANCE]/Instance/IFNAME/VRID/IPv4|IPv6`. */
export function instanceObjectPath(scope: PathScope, i: Pick<DbusInstance, 'ifname' | 'vrid' | 'family'>): string {
  return `${scoped(scope)}/Instance/${validPathElement(i.ifname || 'none')}/${i.vrid}/${i.family === 6 ? 'IPv6' : 'IPv4'}`;
}

/** Whether `path` is a valid DBus object path (GDBus refuses to register any other). */
export function isObjectPath(path: string): boolean {
  return /^\/$|^(\/[A-Za-z0-9_]+)+$/.test(path);
}

/** keepalived's state_str: the words in the State property. */
export function stateWord(state: number): string {
  return { 0: 'Init', 1: 'Backup', 2: 'Master', 3: 'Fault', 97: 'Deleted', 98: 'Stop' }[state] ?? 'Unknown';
}

/** The states keepalived's notifies carry, as numbers (the VrrpStatusChange argument). */
export const NOTIFY_STATE_NUMBER: Readonly<Record<string, number>> = { BACKUP: 1, MASTER: 2, FAULT: 3, DELETED: 97, STOP: 98 };

const DOCTYPE =
  '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n' +
  '                      "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n';

/** The interfaces GDBus adds to every object it serves, in its order and words. */
const STANDARD = `  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="out"/>
    </method>
    <method name="GetAll">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="a{sv}" name="properties" direction="out"/>
    </method>
    <method name="Set">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s" name="interface_name"/>
      <arg type="a{sv}" name="changed_properties"/>
      <arg type="as" name="invalidated_properties"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg type="s" name="xml_data" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg type="s" name="machine_uuid" direction="out"/>
    </method>
  </interface>
`;

/** org.keepalived.Vrrp1.Vrrp as keepalived's XML declares it. */
const VRRP_XML = `  <interface name="${VRRP_INTERFACE}">
    <method name="PrintData">
    </method>
    <method name="PrintStats">
    </method>
    <method name="PrintStatsClear">
    </method>
    <method name="ReloadConfig">
    </method>
    <signal name="VrrpStarted">
    </signal>
    <signal name="VrrpReloaded">
    </signal>
    <signal name="VrrpStopped">
    </signal>
  </interface>
`;

/** org.keepalived.Vrrp1.Instance as keepalived's XML declares it (Name is said to be `s`; its value is `(s)`). */
const INSTANCE_XML = `  <interface name="${INSTANCE_INTERFACE}">
    <method name="SendGarp">
    </method>
    <signal name="VrrpStatusChange">
      <arg type="u" name="status">
      </arg>
    </signal>
    <property type="s" name="Name" access="read">
    </property>
    <property type="(us)" name="State" access="read">
    </property>
  </interface>
`;

/** The methods each interface has (all take and return nothing). */
export const METHODS: Readonly<Record<string, readonly string[]>> = {
  [VRRP_INTERFACE]: ['PrintData', 'PrintStats', 'PrintStatsClear', 'ReloadConfig'],
  [INSTANCE_INTERFACE]: ['SendGarp'],
};

/** The properties each interface has. */
export const PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  [VRRP_INTERFACE]: [],
  [INSTANCE_INTERFACE]: ['Name', 'State'],
};

/**
 * The Introspect answer for `path`: the object's interfaces when one is there (`iface`), then a node for each
 * next path element below it among `paths` (GDBus's answer; for a path with nothing, an empty node).
 */
export function introspectXml(path: string, iface: string | undefined, paths: Iterable<string>): string {
  const prefix = path === '/' ? '/' : `${path}/`;
  const children = new Set<string>();
  for (const p of paths) if (p.startsWith(prefix) && p.length > prefix.length) children.add(p.slice(prefix.length).split('/')[0]!);
  const body = iface === undefined ? '' : STANDARD + (iface === VRRP_INTERFACE ? VRRP_XML : INSTANCE_XML);
  const nodes = [...children].map((c) => `  <node name="${c}"/>\n`).join('');
  return `${DOCTYPE}<!-- keepalived-ts -->\n<node>\n${body}${nodes}</node>\n`;
}
