{
  "targets": [
    {
      "target_name": "tandem_udp_pump",
      "sources": ["udp-pump.c", "srtp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
