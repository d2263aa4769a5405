// Peer background bootstrap. Connections that wake it are held by webext-port's own snippet.
import init, { start_peer } from "./pkg/webext_port_peer.js";
init().then(start_peer);
