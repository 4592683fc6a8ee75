"""The discharge summary as a PDF (WeasyPrint), from the same template the printable page uses.

Nothing is fetched while rendering: the CSS is inline, the charts are inline SVG, and the
fetcher allows only data: URLs, so a stray link in a plan's text can never make the server
reach out to another host."""

from django.template.loader import render_to_string


def render(summary) -> bytes:
    import weasyprint
    from weasyprint.urls import URLFetcher

    html = render_to_string("discharge/summary_pdf.html", {"s": summary})
    return weasyprint.HTML(
        string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})
    ).write_pdf()
