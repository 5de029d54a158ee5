// The lending desk's camera scanner (no inline script: the CSP forbids it).
// The browser's BarcodeDetector reads QR codes where it exists (Chrome on
// Android, Safari 17+); elsewhere the vendored jsQR decodes the camera frames.
// A decoded label fills the scan field and sends the same form a USB scanner does.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var field = document.getElementById("scan-code");
  var box = form && form.querySelector("[data-camera]");
  if (!form || !field || !box) return;
  if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return;
  if (!("BarcodeDetector" in window) && typeof window.jsQR !== "function") return;

  var start = box.querySelector("[data-camera-start]");
  var stop = box.querySelector("[data-camera-stop]");
  var view = box.querySelector("[data-camera-view]");
  var video = box.querySelector("[data-camera-video]");
  var error = box.querySelector("[data-camera-error]");
  var canvas = document.createElement("canvas");
  var stream = null;
  var detector = null;
  var timer = null;

  box.hidden = false;

  function detectorFor() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }).catch(function () { return null; });
  }

  function decodeFrame() {
    if (detector) {
      return detector.detect(video).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      });
    }
    var width = video.videoWidth, height = video.videoHeight;
    if (!width || !height || typeof window.jsQR !== "function") return Promise.resolve(null);
    canvas.width = width;
    canvas.height = height;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height,
                            { inversionAttempts: "dontInvert" });
    return Promise.resolve(found ? found.data : null);
  }

  function halt() {
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    view.hidden = true;
    start.hidden = false;
  }

  function look() {
    if (!stream) return;
    decodeFrame().then(function (text) {
      if (text) {
        halt();
        // A label holds the unit's whole address (.../u/P13-PK2); the field wants its code.
        var at = text.lastIndexOf("/u/");
        field.value = at >= 0 ? text.slice(at + 3).split(/[?#/]/)[0] : text;
        form.requestSubmit ? form.requestSubmit() : form.submit();
        return;
      }
      timer = window.setTimeout(look, 200);
    }).catch(function () { timer = window.setTimeout(look, 400); });
  }

  start.addEventListener("click", function () {
    error.hidden = true;
    detectorFor().then(function (found) {
      detector = found;
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (media) {
      stream = media;
      video.srcObject = media;
      view.hidden = false;
      start.hidden = true;
      return video.play();
    }).then(look).catch(function () {
      halt();
      error.textContent = error.getAttribute("data-message");
      error.hidden = false;
      field.focus();
    });
  });
  stop.addEventListener("click", function () { halt(); field.focus(); });
  window.addEventListener("pagehide", halt);
})();
