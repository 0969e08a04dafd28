"""``sacred ui``: a local, read-only web view of any store the run reader opens.

The pieces:

* :mod:`.app` builds the Starlette application (every route answers GET only);
* :mod:`.pages` renders the runs table, run, compare and sweep pages (Jinja2,
  autoescaped) and :mod:`.api` the JSON the pages poll (chart data, output tail,
  table rows);
* :mod:`.series` cuts and downsamples metric series with :mod:`.lttb`;
* :mod:`.guard` holds the security rules: loopback hosts, the access token,
  response headers that forbid inline script, and file lookup that cannot leave
  the store;
* :mod:`.server` binds the socket and runs uvicorn.

Charts are drawn by our own canvas code in ``static/plot.js``: nothing is fetched
from the internet when a page loads. Starlette, uvicorn and Jinja2 come with the
``sacred[ui]`` extra and are imported only by ``sacred ui``.
"""
