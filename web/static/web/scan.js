// Live scanning on /verify/, where the browser has BarcodeDetector and a camera: the code's text
// goes into the form's text field and the form is sent. Without them, nothing here shows and the
// form works as it does with no script at all.
(function () {
  "use strict";
  var box = document.getElementById("live-scan");
  if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var start = document.getElementById("live-scan-start");
  var video = document.getElementById("live-scan-video");
  var status = document.getElementById("live-scan-status");
  var form = document.getElementById("verify-form");
  var text = document.getElementById("id_text");
  var stream = null;

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    start.hidden = false;
  }

  function look(detector) {
    if (!stream) { return; }
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        stop();
        text.value = codes[0].rawValue;
        status.textContent = "Read the code. Verifying…";
        form.submit();
      } else {
        setTimeout(function () { look(detector); }, 250);
      }
    }, function () { setTimeout(function () { look(detector); }, 250); });
  }

  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      start.hidden = true;
      status.textContent = "Point the camera at the QR code and hold it steady.";
      return video.play().then(function () { look(detector); });
    }).catch(function () {
      stop();
      status.textContent = "The camera could not be opened here: take a photo of the code instead.";
    });
  });

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") !== -1) { box.hidden = false; }
  }, function () {});
})();
