"""The organisers' goals as tables and charts, for the admin dashboard: `goals` counts
(through the exports' small-cell suppression), `sections` lays them out with labels and
the request's filters, `charts` draws them as SVG."""
