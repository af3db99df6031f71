#!/usr/bin/python3
"""The benchmark's variables: 30 of a node's own plus 100 hosts' hostvars."""
import json

hosts = ["node%03d" % i for i in range(1, 101)]
hostvars = {h: {"ip": "10.0.%d.%d" % (i // 250, i % 250 + 1), "role": "worker"}
            for i, h in enumerate(hosts)}
v = {
    "ansible_managed": "Ansible managed", "inventory_hostname": "node042",
    "containerd_state": "/run/containerd", "containerd_oom_score": "-999",
    "containerd_socket": "/run/containerd/containerd.sock", "grpc_max_recv": 16,
    "pause_image": "registry.k8s.io/pause", "pause_version": "3.9",
    "max_log_line": 16384, "enable_selinux": "no", "snapshotter": "overlayfs",
    "default_runtime": "runc", "cgroup_driver": "systemd",
    "registry_mirrors": {"docker.io": {"endpoints": ["https://mirror.local", "https://registry-1.docker.io"]},
                         "quay.io": {"endpoints": ["https://quay.local"]}},
    "extra_sans": ["10.0.0.1", "k8s.local"], "cluster_name": "prod",
    "cluster_domain": "cluster.local", "pod_cidr": "10.244.0.0/16",
    "service_cidr": "10.96.0.0/12", "k8s_version": "1.28.3",
    "feature_gates": {"RotateKubeletServerCertificate": True},
    "node_labels": {"tier": "worker", "zone": "a"}, "max_pods": 110,
    "generator": "muster", "generator_version": "0.1",
    "groups": {"all": hosts, "k8s": hosts, "control": hosts[:1], "workers": hosts[1:]},
    "hostvars": hostvars,
}
print(json.dumps(v))
