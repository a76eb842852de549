"""A class in the lecture hall: the server every student's laptop reaches, and a class that follows
the teacher.

- serve.py: `python -m classroom`: N app processes on 127.0.0.1 behind nginx, which listens on
  every interface (IPv4 and IPv6) at the class port, and Redis beside them for the class's state.
- store.py: the class's shared state (the teacher's secret, view, plan; who follows), in memory
  in one process or in Redis across processes and machines.
- plans.py: lesson plans, ordered views with the teacher's notes, as JSON files and as links.
- address.py: the addresses students type, and their QR code for the projector.

The page side is ui/follow.py; this package never imports streamlit.
"""
