// The few behaviours pages need, served from our binary (the Content-Security-Policy allows
// no inline script). Each part runs only where its elements are on the page.
(function () {
  "use strict";

  // 填报日报数: choosing another post or day opens that day's entry (to correct it, or a blank
  // form); without script the form still sends the chosen post and day.
  var tally = document.getElementById("tally-form");
  if (tally) {
    var reload = function () {
      var post = tally.querySelector("[name=post_id]").value;
      var day = tally.querySelector("[name=day]").value;
      if (day) {
        window.location.href = tally.getAttribute("data-reload") + "?post=" + encodeURIComponent(post) + "&day=" + encodeURIComponent(day);
      }
    };
    var pick = tally.querySelector("select[name=post_id]");
    if (pick) pick.addEventListener("change", reload);
    tally.querySelector("[name=day]").addEventListener("change", reload);
  }

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

// A page that answers a POST (a form shown again with its problems) shows the address of the
// page it stands for, so that a refresh reloads that page instead of sending the form again.
(function () {
  var url = document.body.getAttribute("data-page-url");
  if (url && window.history && history.replaceState && location.pathname + location.search !== url) {
    history.replaceState(null, "", url);
  }
})();

// 更多 in the main navigation: a menu on a phone; on a wider screen its items stand in the bar.
(function () {
  var more = document.getElementById("nav-more");
  if (!more || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 641px)");
  var place = function () {
    more.classList.toggle("inline", wide.matches);
    more.open = wide.matches;
  };
  place();
  if (wide.addEventListener) wide.addEventListener("change", place);
  document.addEventListener("click", function (e) {
    if (!wide.matches && more.open && !more.contains(e.target)) more.open = false;
  });
})();

// 待确认记录: 全选 ticks every record for the bulk form.
(function () {
  var all = document.getElementById("tick-all");
  if (!all) return;
  all.addEventListener("change", function () {
    var ticks = document.querySelectorAll(".bulk-tick");
    for (var i = 0; i < ticks.length; i++) ticks[i].checked = all.checked;
  });
})();

// A form that asks before it acts (停用): data-confirm holds the question.
(function () {
  var forms = document.querySelectorAll("form[data-confirm]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (e) {
      if (!window.confirm(this.getAttribute("data-confirm"))) e.preventDefault();
    });
  }
})();

// The back button may show a page kept from before an action (a record still pending, notices
// still unread): a page restored from the back/forward cache is loaded again.
window.addEventListener("pageshow", function (e) {
  if (e.persisted) window.location.reload();
});

// 找街道或社区: typing narrows the place picker (data-filters names the select) to the places
// whose names hold every word typed; one place left is chosen. Without script, 搜索 asks the
// server for the same.
(function () {
  var input = document.querySelector("input[data-filters]");
  if (!input) return;
  var select = document.getElementById(input.getAttribute("data-filters"));
  var count = document.getElementById(input.getAttribute("data-count"));
  if (!select) return;
  var options = select.querySelectorAll("option[data-search]");
  var narrow = function () {
    var words = input.value.trim().split(/\s+/).filter(function (w) { return w; });
    var shown = [];
    for (var i = 0; i < options.length; i++) {
      var text = options[i].getAttribute("data-search");
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
      options[i].hidden = !ok;
      options[i].disabled = !ok;
      if (ok) shown.push(options[i]);
    }
    var groups = select.querySelectorAll("optgroup");
    for (var g = 0; g < groups.length; g++) {
      groups[g].hidden = !groups[g].querySelector("option:not([hidden])");
    }
    // one place left is the choice; with several, none is chosen until the person picks one
    if (shown.length === 1) shown[0].selected = true;
    else if (words.length) select.value = "";
    if (count) {
      count.textContent = !words.length ? "共 " + options.length + " 个街道和社区，可输入名称查找。"
        : shown.length ? "找到 " + shown.length + " 个地点" + (shown.length === 1 ? "，已选中。" : "，请在下面选择。")
        : "没有找到“" + input.value.trim() + "”，请换个名称试试。";
    }
  };
  input.addEventListener("input", narrow);
  input.addEventListener("keydown", function (e) {
    // Enter with one place found picks it; otherwise it sends the search
    var found = select.querySelectorAll("option[data-search]:not([hidden])").length;
    if (e.key === "Enter" && found === 1 && select.value) {
      e.preventDefault();
      select.form.submit();
    }
  });
})();
