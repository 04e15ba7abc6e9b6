"""A seeded fuzzer of browser→kernel messages with an oracle of its own (issue 8).

`rfc6902` applies JSON Patch strictly (not widgets/patch.py), `oracle` predicts what the kernel must
do with each message (docs/protocol.md, version 2.0), `generator` makes the cases, `harness` drives a
real ipykernel over ZMQ and checks every answer; `kernel_side` is the code the kernel runs.
"""
