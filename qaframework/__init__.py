"""qaframework: the quality-assurance audit workflow for EHC plans (SEND), as a plain library.

No Flask in here: the web app, the ``qa`` command and the reports all sit on top of it.
"""

__version__ = "0.1.0"
