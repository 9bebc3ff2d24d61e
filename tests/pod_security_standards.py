"""The Kubernetes Pod Security Standards, as kubernetes.io/docs/concepts/security/pod-security-standards/
states them, for checking rendered pod specs: `violations(spec, "baseline" | "restricted")` lists
every control a pod fails at that level, each naming the field.

Baseline: no hostProcess, no host namespaces (hostNetwork, hostPID, hostIPC), no privileged
containers, capabilities added only from the baseline list, no hostPath volumes, no host ports,
AppArmor unset, RuntimeDefault or Localhost, SELinux type unset or one of the container types
(user and role unset), procMount Default, seccomp not Unconfined, only the safe sysctls.
Restricted adds: volumes only of the listed types, allowPrivilegeEscalation false, runAsNonRoot
true (pod or every container), runAsUser not 0, seccomp RuntimeDefault or Localhost (pod or every
container), capabilities dropping ALL and adding nothing but NET_BIND_SERVICE.
"""

from __future__ import annotations

from typing import Any

BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                         "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
LEVELS = ("restricted", "baseline", "privileged")


def containers(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{kind}[{c.get('name', i)}]", c) for kind in ("initContainers", "containers", "ephemeralContainers")
            for i, c in enumerate(spec.get(kind) or [])]


def _baseline(spec: dict[str, Any]) -> list[str]:
    out = []
    pod_sc = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            out.append(f"spec.{field}: true (host namespaces)")
    if (pod_sc.get("windowsOptions") or {}).get("hostProcess"):
        out.append("spec.securityContext.windowsOptions.hostProcess: true")
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            out.append(f"volumes[{volume['name']}].hostPath (hostPath volumes)")
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl["name"] not in SAFE_SYSCTLS:
            out.append(f"spec.securityContext.sysctls[{sysctl['name']}] (unsafe sysctl)")
    scopes = [("spec.securityContext", pod_sc)] + [(f"{name}.securityContext", c.get("securityContext") or {})
                                                   for name, c in containers(spec)]
    for where, sc in scopes:
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            out.append(f"{where}.seccompProfile.type: Unconfined")
        selinux = sc.get("seLinuxOptions") or {}
        if selinux.get("type", "") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
            out.append(f"{where}.seLinuxOptions: {selinux}")
        if (sc.get("appArmorProfile") or {}).get("type", "RuntimeDefault") not in ("RuntimeDefault", "Localhost"):
            out.append(f"{where}.appArmorProfile.type: {sc['appArmorProfile']['type']}")
    for name, container in containers(spec):
        sc = container.get("securityContext") or {}
        if sc.get("privileged"):
            out.append(f"{name}.securityContext.privileged: true")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            out.append(f"{name}.securityContext.windowsOptions.hostProcess: true")
        for cap in (sc.get("capabilities") or {}).get("add") or []:
            if cap not in BASELINE_CAPABILITIES:
                out.append(f"{name}.securityContext.capabilities.add: {cap}")
        if sc.get("procMount", "Default") != "Default":
            out.append(f"{name}.securityContext.procMount: {sc['procMount']}")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                out.append(f"{name}.ports[{port.get('name', port['containerPort'])}].hostPort: {port['hostPort']}")
    return out


def _restricted(spec: dict[str, Any]) -> list[str]:
    out = []
    pod_sc = spec.get("securityContext") or {}
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            out.append(f"volumes[{volume['name']}]: {', '.join(sorted(kinds - RESTRICTED_VOLUMES))} (volume type)")
    if pod_sc.get("runAsUser") == 0:
        out.append("spec.securityContext.runAsUser: 0")
    for name, container in containers(spec):
        sc = container.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{name}.securityContext.allowPrivilegeEscalation: not false")
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            out.append(f"{name}: runAsNonRoot is not true (pod or container)")
        if sc.get("runAsUser") == 0:
            out.append(f"{name}.securityContext.runAsUser: 0")
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(f"{name}: seccompProfile.type is {seccomp or 'unset'} (pod or container)")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append(f"{name}.securityContext.capabilities.drop: not ALL")
        for cap in caps.get("add") or []:
            if cap != "NET_BIND_SERVICE":
                out.append(f"{name}.securityContext.capabilities.add: {cap}")
    return out


def violations(spec: dict[str, Any], level: str) -> list[str]:
    if level == "privileged":
        return []
    found = _baseline(spec)
    if level == "restricted":
        found += [v for v in _restricted(spec) if v not in found]
    return found


def level(spec: dict[str, Any]) -> str:
    """The strictest level the pod is admitted at."""
    return next(lv for lv in LEVELS if not violations(spec, lv))
