"""The local studio: offline talking-avatar rendering on the CPU.

Nothing here imports numpy, OpenCV, dlib or piper at package import time: the engine modules
(`speech`, `face`, `studio`, ...) are imported lazily when a render runs.

An offline studio sends nothing and writes nothing outside its data dir: onnxruntime (under Piper) would
otherwise keep a telemetry device id and event database in ~/.cache/Microsoft. Its switch is read when the
library loads, so it is set here, before any studio module can import it.
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
