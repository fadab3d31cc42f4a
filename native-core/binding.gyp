{
  "targets": [
    {
      "target_name": "tscore",
      "sources": ["src/addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall"]
    },
    {
      "target_name": "tscore-exec",
      "type": "executable",
      "sources": [
        "src/exec/main.c", "src/exec/hook.c", "src/exec/ns.c", "src/exec/fs.c", "src/exec/net.c",
        "src/exec/ids.c", "src/exec/proc.c", "src/exec/caller.c", "src/exec/launch.c", "src/exec/root.c", "src/exec/copyup.c",
        "src/exec/report.c", "src/exec/creds.c", "src/exec/console.c", "src/exec/seccomp.c"
      ],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"],
      "ldflags": ["-static"],
      "conditions": [
        ["target_arch=='arm64'",
          { "libraries": ["/usr/lib/aarch64-linux-gnu/libseccomp.a"] },
          { "libraries": ["-l:libseccomp.a"] }]
      ]
    },
    {
      "target_name": "stage-artifacts",
      "type": "none",
      "dependencies": ["tscore-exec"],
      "copies": [{ "destination": "<(module_root_dir)/build/artifacts", "files": ["<(PRODUCT_DIR)/tscore-exec"] }]
    }
  ]
}
