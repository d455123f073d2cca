// Charts of the report dashboard (ECharts, vendored). Data comes from the JSON block the page renders
// (no inline scripts: CSP is 'self'); series names come from data-* attributes, already translated.
(function () {
  "use strict";
  var dataNode = document.getElementById("report-data");
  if (!dataNode || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var percent = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  // One colour per metric in every chart (issue 17): 入住率 is always blue, 就业安置率 always green.
  var COLOURS = { occupancy: "#3560a8", placement: "#2e8b57", claims: "#7a5c2e" };
  var charts = [];

  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) {
      return;
    }
    var instance = echarts.init(node, null, { renderer: "svg" });
    instance.setOption(Object.assign({ animation: false, grid: { left: 48, right: 24, top: 36, bottom: 48 } }, option));
    charts.push(instance);
    return node;
  }

  var trend = document.getElementById("chart-trend");
  if (trend) {
    chart("chart-trend", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.trend.map(function (r) { return r.month; }) },
      yAxis: percent,
      series: [
        { name: trend.dataset.seriesOccupancy, type: "line", connectNulls: false,
          itemStyle: { color: COLOURS.occupancy }, lineStyle: { color: COLOURS.occupancy },
          data: data.trend.map(function (r) { return r.occupancy_rate; }) },
        { name: trend.dataset.seriesPlacement, type: "bar", barMaxWidth: 24, itemStyle: { color: COLOURS.placement },
          data: data.trend.map(function (r) { return r.placement_rate; }) }
      ]
    });
  }

  var units = document.getElementById("chart-units");
  if (units) {
    chart("chart-units", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.units.map(function (r) { return r.label; }),
               axisLabel: { interval: 0, rotate: data.units.length > 8 ? 30 : 0 } },
      yAxis: percent,
      series: [
        { name: units.dataset.seriesPlacement, type: "bar", barMaxWidth: 32, itemStyle: { color: COLOURS.placement },
          data: data.units.map(function (r) { return r.placement_rate; }) },
        { name: units.dataset.seriesOccupancy, type: "bar", barMaxWidth: 32, itemStyle: { color: COLOURS.occupancy },
          data: data.units.map(function (r) { return r.occupancy_rate; }) }
      ]
    });
  }

  var claims = document.getElementById("chart-claims");
  if (claims) {
    chart("chart-claims", {
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.claims.map(function (r) { return r.label; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: claims.dataset.seriesCount, type: "bar", barMaxWidth: 32, itemStyle: { color: COLOURS.claims },
                 data: data.claims.map(function (r) { return r.count; }) }]
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
