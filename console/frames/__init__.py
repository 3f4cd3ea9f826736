"""The console's headless half: per-snapshot work as plain values, with no Textual import.

``FrameBuilder.build(snapshot, viewpoint)`` judges, queues attention, times steps and decides what
every verb would do; screens only render the resulting ``Frame``. Console-side, not engine-side:
it applies the console's own config (display regions, protected contexts, stale thresholds) and
its command catalogue, which the engine must not know.
"""
