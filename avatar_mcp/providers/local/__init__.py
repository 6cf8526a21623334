"""The local studio: offline talking-avatar rendering on the CPU.

Nothing here imports numpy, OpenCV, dlib or piper at package import time: the engine modules
(`speech`, `face`, `studio`, ...) are imported lazily when a render runs.
"""
