/** The version mqttlab reports ($SYS/broker/version, `--version`, the peer handshake's logs). */
export const VERSION = '0.1.0';
