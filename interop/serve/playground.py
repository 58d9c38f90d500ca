#!/usr/bin/env python3
"""The playground page in a real browser (headless Chromium through Selenium): load `/`, type a prime, press
Generate, see the text grow while it streams, then press Stop on a second run; saves a screenshot for a person to
look at. Loopback only. Needs Debian's `chromium` and `chromium-driver` and PyPI's `selenium`.

    python3 interop/serve/playground.py [--screenshot docs/serve.png]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clients import check, results, start_server, stop_server  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--charlstm", default=".build/release/charlstm")
    parser.add_argument("--checkpoint", default="Checkpoints/pretrained")
    parser.add_argument("--screenshot", default="/tmp/charlstm-serve.png")
    args = parser.parse_args()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError:
        print("skipped: selenium is not installed")
        return 0
    process, url, port = start_server(args.charlstm, args.checkpoint)
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,900"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        browser.get(url + "/")
        check("the page loads with its title", "playground" in browser.title, browser.title)
        prime = browser.find_element(By.ID, "prime")
        prime.clear()
        prime.send_keys("JULIET:\nO Romeo, Romeo!")
        browser.execute_script("document.getElementById('length').value = 420;"
                               "document.getElementById('seed').value = 29;")
        # The page records the text's length at every change (polling from here would miss a fast model's stream).
        browser.execute_script("""
            window.lengths = [];
            const generated = document.getElementById('generated');
            window.observer = new MutationObserver(() => window.lengths.push(generated.textContent.length));
            window.observer.observe(generated, { childList: true, characterData: true, subtree: true });""")
        browser.find_element(By.ID, "generate").click()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "finished" not in browser.find_element(By.ID, "status").text:
            time.sleep(0.05)
        status = browser.find_element(By.ID, "status").text
        lengths = browser.execute_script("window.observer.disconnect(); return window.lengths;")
        growing = sorted(set(lengths))
        check("the text grows while it streams", len(growing) >= 10 and growing[-1] == 420,
              f"{len(growing)} lengths seen, from {growing[:5]} to {growing[-3:]}")
        check("it ends with 420 characters and says so", "420 characters" in status and "finished: length" in status, status)
        logs = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        check("no errors in the browser console", not logs, logs)
        browser.save_screenshot(args.screenshot)
        print(f"screenshot: {args.screenshot}")
        # Stop: a long run ends at once, and the server's stream with it.
        browser.execute_script("document.getElementById('length').value = 100000;")
        browser.find_element(By.ID, "generate").click()
        time.sleep(0.5)
        browser.find_element(By.ID, "stop").click()
        time.sleep(0.3)
        status = browser.find_element(By.ID, "status").text
        check("Stop ends the run", status.startswith("Stopped after"), status)
        import json, urllib.request
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            health = json.load(urllib.request.urlopen(url + "/health"))
            if health["streams"]["active"] == 0:
                break
            time.sleep(0.05)
        check("…and the server's stream with it", health["streams"]["active"] == 0, health)
    finally:
        browser.quit()
        stop_server(process, port, "serve")
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    sys.exit(main())
