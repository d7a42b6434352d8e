"""The tool loop: stream a turn, run its tool calls (in parallel, with approvals), repeat.

Also the records it keeps, its export, its recorder, and the watch on the SDK's own tool
runner. Imports every layer below it (json to tools).
"""
