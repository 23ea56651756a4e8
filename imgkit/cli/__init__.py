def main():
    raise SystemExit("imgkit CLI not built yet")
