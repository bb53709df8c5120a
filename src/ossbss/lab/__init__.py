"""The lab: real peers (FreeRADIUS, netconfd behind OpenSSH, a NAS simulator) on loopback."""
