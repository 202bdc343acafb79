"""The value sets the chart is tested with, from the defaults to every setting changed."""

from __future__ import annotations

from typing import Any, Final

API_KEY_ENTRY: Final = "acme:k1:" + "ab" * 32
# Stand-ins for secrets: they must never show up outside the Secret.
REDIS_PASSWORD: Final = "hunter2-redis"
CALLBACK_SECRET: Final = "callback-secret-value"

SENTINEL: Final[dict[str, Any]] = {
    "redis": {
        "mode": "sentinel",
        "sentinel": {
            "masterName": "drift-master",
            "hosts": ["redis-sentinel-0.redis:26379", "redis-sentinel-1.redis:26379"],
        },
    },
    "secrets": {"values": {"redisPassword": REDIS_PASSWORD}},
}

PLAIN_REDIS: Final[dict[str, Any]] = {
    "redis": {"mode": "plain", "url": "redis://redis-master.cache:6379/2"},
    "secrets": {"values": {"redisPassword": REDIS_PASSWORD}},
}

AUTOSCALING_OFF: Final[dict[str, Any]] = {
    "api": {"autoscaling": {"enabled": False}, "replicaCount": 3},
    "worker": {"autoscaling": {"enabled": False}, "replicaCount": 4},
}

EXISTING_SECRET_NAME: Final = "drift-credentials"
EXISTING_SECRET: Final[dict[str, Any]] = {
    "secrets": {"existingSecret": EXISTING_SECRET_NAME},
    "store": {"fromSecret": True},
    "redis": {"mode": "plain", "url": "redis://redis:6379/0"},
}

# What the operator's Secret holds, for reading the env the pods would get.
EXISTING_SECRET_DATA: Final[dict[str, dict[str, str]]] = {
    EXISTING_SECRET_NAME: {
        "store-url": "hbase://hbase-thrift.data:9090?prefix=prod_",
        "redis-password": "operator-redis-pass",
        "api-key-pepper": "operator-pepper",
    }
}

# Every setting away from its default: the chart must carry each one to the services.
EVERYTHING: Final[dict[str, Any]] = {
    "searchAttributes": {"job": {"enabled": True, "backoffLimit": 5}},
    "image": {"registry": "registry.example.com/platform", "tag": "1.2.3"},
    "imagePullSecrets": [{"name": "registry-credentials"}],
    "temporal": {
        "address": "temporal-frontend.temporal.svc:7233",
        "namespace": "drift-prod",
        "taskQueue": "drift-runs",
    },
    "hbase": {
        "thrift": {"host": "hbase-thrift.data.svc", "port": 9095},
        "tablePrefix": "prod_",
        "pool": 16,
        "timeoutSeconds": 7.5,
    },
    **SENTINEL,
    "secrets": {
        "values": {
            "redisPassword": REDIS_PASSWORD,
            "bootstrapApiKey": "bootstrap-key-value",
            "apiKeys": [API_KEY_ENTRY, "globex:k2:" + "cd" * 32],
            "apiKeyPepper": "pepper-value",
            "callbackSecret": CALLBACK_SECRET,
        }
    },
    "nodes": {
        "scripts": {"timeoutSeconds": 3.5, "memoryMb": 768, "processes": 4, "fastPath": False},
        "http": {
            "allowHosts": ["orders.internal", "10.1.0.0/16"],
            "timeoutSeconds": 12,
            "maxResponseMb": 20,
        },
        "allow": {"SCRIPT": "drift-nodes", "LDAP": "acme-drift-ldap"},
    },
    "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}},
    "otel": {"endpoint": "http://otel-collector.observability:4318"},
    "api": {
        "image": {"digest": "sha256:" + "0" * 64},
        "host": "::",
        "ports": {"app": 8080, "admin": 8081, "metrics": 9100},
        "config": {
            "syncTimeoutSeconds": 25,
            "queryTimeoutSeconds": 2.5,
            "maxSyncWaits": 40,
            "overloadRetryAfterSeconds": 2,
            "lateAnswerSeconds": 1.5,
            "maxBodyBytes": 8388608,
            "maxRedrives": 3,
            "auth": False,
            "apiKeyCacheSeconds": 30,
            "corsOrigins": ["https://console.example.com", "https://admin.example.com"],
            "tracing": False,
            "requestMetrics": False,
            "defaultPageSize": 200,
            "logLevel": "DEBUG",
        },
        "service": {"loadBalancerSourceRanges": ["10.0.0.0/8"], "externalTrafficPolicy": "Local"},
        "adminService": {"exposePublicly": True},
        "podDisruptionBudget": {"minAvailable": None, "maxUnavailable": "25%"},
        "autoscaling": {"targetMemoryUtilizationPercentage": 80},
        "extraEnv": [{"name": "DRIFT_CONFIG_FILE", "value": "/etc/drift/extra.yaml"}],
    },
    "worker": {
        "host": "::",
        "ports": {"app": 7300, "admin": 7301, "metrics": 9200},
        "config": {
            "historyLimit": 5000,
            "maxConcurrentActivities": 50,
            "maxConcurrentLocalActivities": 400,
            "maxCachedRuns": 3000,
            "pollers": 12,
            "shutdownGraceSeconds": 45,
            "tracing": False,
            "logLevel": "WARNING",
        },
        "enumStore": {"values": {"*": {"crmUrl": "http://crm.internal"}, "acme": {"tier": 2}}},
        "extraEnv": [{"name": "DRIFT_CONFIG_FILE", "value": "/etc/drift/extra.yaml"}],
    },
}

# Every NetworkPolicy setting in use: peers, narrowed HTTP egress, overrides, extra rules.
NETWORK_NARROWED: Final[dict[str, Any]] = {
    "redis": {"mode": "plain", "url": "redis://cache.data:6390/1"},
    "otel": {"endpoint": "https://collector.observability"},
    "networkPolicy": {
        "api": {
            "appFrom": [{"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"]}}],
            "adminFrom": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    }
                }
            ],
        },
        "worker": {
            "adminFrom": [{"podSelector": {"matchLabels": {"app": "prometheus"}}}],
            "httpTo": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
            "httpPorts": [{"port": 443, "protocol": "TCP"}, {"port": 8000, "endPort": 8100}],
        },
        "dns": {
            "to": [
                {"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
            ]
        },
        "temporal": {"port": 7300, "to": [{"ipBlock": {"cidr": "10.30.0.0/16"}}]},
        "hbase": {"to": [{"ipBlock": {"cidr": "10.40.0.0/16"}}]},
        "redis": {"ports": [6390, 26390], "to": [{"ipBlock": {"cidr": "10.50.0.0/16"}}]},
        "otel": {"port": 4318, "to": [{"ipBlock": {"cidr": "10.60.0.0/16"}}]},
        "extraEgress": [
            {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": [{"port": 8200}]}
        ],
    },
}

VALUE_SETS: Final[dict[str, dict[str, Any]]] = {
    "defaults": {},
    "sentinel": SENTINEL,
    "plain-redis": PLAIN_REDIS,
    "autoscaling-off": AUTOSCALING_OFF,
    "existing-secret": EXISTING_SECRET,
    "everything": EVERYTHING,
    "network-narrowed": NETWORK_NARROWED,
    "lean": {
        "metrics": {"enabled": False},
        "serviceAccount": {"create": False},
        "api": {"podDisruptionBudget": {"enabled": False}, "service": {"type": "ClusterIP"}},
        "worker": {"podDisruptionBudget": {"enabled": False}},
        "tmpVolume": {"sizeLimit": None},
    },
}
