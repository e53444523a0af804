// The few behaviours pages need, served from our binary (the Content-Security-Policy allows
// no inline script). Each part runs only where its elements are on the page.
(function () {
  "use strict";

  // 扫码签到: send the position with the scan when the browser can give it.
  var scan = document.getElementById("scan-form");
  if (scan) {
    var sent = false;
    scan.addEventListener("submit", function (e) {
      if (sent || !navigator.geolocation) return;
      e.preventDefault();
      sent = true;
      document.getElementById("location-status").textContent = "正在获取位置…";
      var go = function () { scan.submit(); };
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("lat").value = p.coords.latitude.toFixed(6);
        document.getElementById("lon").value = p.coords.longitude.toFixed(6);
        go();
      }, go, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    });
  }

  // 附近项目: fill in the position and search.
  var here = document.getElementById("use-location");
  if (here && navigator.geolocation) {
    here.hidden = false;
    here.addEventListener("click", function () {
      var s = document.getElementById("location-status");
      s.textContent = "正在获取位置…";
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("lat").value = p.coords.latitude.toFixed(5);
        document.getElementById("lon").value = p.coords.longitude.toFixed(5);
        s.textContent = "";
        document.getElementById("nearby-form").submit();
      }, function () {
        s.textContent = "无法获取位置，请手动填写纬度和经度。";
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  // 签到二维码: print the poster.
  var print = document.getElementById("print-poster");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
})();

// A form shown again with its errors: bring its error summary into view (a long page, such
// as an order's, would otherwise show the top and hide what went wrong).
(function () {
  var box = document.querySelector("form #form-errors, .alert-error#form-errors");
  if (box && window.scrollY === 0 && box.getBoundingClientRect().top > window.innerHeight * 0.6) {
    box.setAttribute("tabindex", "-1");
    box.scrollIntoView({ block: "center" });
    box.focus({ preventScroll: true });
  }
})();
