"""``imgkit bench --plot``: the ratio table as a bar chart, drawn with matplotlib, the optional
extra ``imgkit[plot]``; imported only when a chart is asked for, drawing on a bare ``Figure``
(the Agg canvas: no display, no pyplot state)."""

INSTALL = "pip install 'imgkit[plot]'"


def available():
    """None if matplotlib can be imported, else why not and what to install."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        return f"needs matplotlib, which is not installed ({error}): {INSTALL}"
    return None


def ratio_chart(rows):
    """PNG bytes: one bar per ``bench.Row`` (operation, parameters, photo, size, input kind), from
    the 1.0× line to imgkit's time over its reference's, on a log axis (as much room for 2× faster as for
    2× slower); green where imgkit is faster, orange where slower, each bar labelled."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter
    ratios = [row.ratio for row in rows]
    figure = Figure(figsize=(10, 1.5 + 0.3 * len(rows)), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    places = range(len(rows))
    bars = axes.barh(places, [ratio - 1 for ratio in ratios], left=1,
                     color=["tab:green" if ratio <= 1 else "tab:orange" for ratio in ratios])
    axes.bar_label(bars, labels=[f"{ratio:.2f}×" for ratio in ratios], fontsize=8, padding=3)
    axes.set_yticks(places, [f"{row.op} {row.params} · {row.photo} {row.size} {row.kind}" for row in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}×"))
    low, high = min(ratios + [1.0]), max(ratios + [1.0])
    axes.set_xlim(low / 1.6, high * 1.6)
    axes.axvline(1.0, color="black", linestyle="--", linewidth=1, label="1.0×: as fast as the reference")
    axes.set_xlabel("imgkit time / reference time (median; log scale; below 1.0×: imgkit is faster)")
    axes.set_title("imgkit bench: imgkit against its reference (OpenCV unless the table says otherwise)")
    axes.legend(loc="lower right", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
