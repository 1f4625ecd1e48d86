"""Entry point for hosted Gradio apps (AI Studio runs ``app.gradio.py``): the web demo of
``tools/app.py`` with its defaults (the toy model, trained first if missing)."""
import importlib.util
import os
import sys

_spec = importlib.util.spec_from_file_location(
    "paddle_inade_app", os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools", "app.py"))
_app = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_app)

if __name__ == "__main__":
    sys.exit(_app.main([]))
