"""The discharge summary as a PDF (WeasyPrint), from the same template the printable page uses.

Nothing is fetched while rendering: the stylesheet is read from the package here (no template
holds inline CSS: see tests/production/test_headers.py), the charts are inline SVG, and the
fetcher allows only data: URLs, so a stray link in a plan's text can never make the server
reach out to another host."""

from pathlib import Path

from django.template.loader import render_to_string

STYLESHEET = Path(__file__).parent / "static" / "discharge" / "summary_pdf.css"


def render(summary) -> bytes:
    import weasyprint
    from weasyprint.urls import URLFetcher

    html = render_to_string("discharge/summary_pdf.html", {"s": summary})
    fetcher = URLFetcher(allowed_protocols={"data"})
    css = weasyprint.CSS(string=STYLESHEET.read_text(), url_fetcher=fetcher)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[css])
