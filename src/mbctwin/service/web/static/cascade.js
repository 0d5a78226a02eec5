// Cascade viewer: a slider over the saved frames, a play button, and the statistics of the frame shown.
(function () {
  const viewer = document.getElementById("viewer");
  if (!viewer) return;
  const base = viewer.dataset.base;
  const steps = JSON.parse(viewer.dataset.steps);
  const records = JSON.parse(viewer.dataset.records);
  const slider = document.getElementById("frame");
  const play = document.getElementById("play");
  const shown = ["step", "primary_n_mesenchymal", "primary_n_epithelial", "primary_mean_dist_centre",
    "primary_mean_mmp2", "primary_max_mmp2", "primary_mean_ecm", "cum_intravasation_events",
    "cum_surviving_clusters", "cum_arrived_cells"];
  let timer = null;

  function render(index) {
    document.getElementById("frame-img").src = base + "/frames/" + index + ".png";
    document.getElementById("mmp-img").src = base + "/mmp2/" + index + ".png";
    document.getElementById("step-label").textContent = steps[index];
    const record = records.find((r) => r.step === steps[index]) || {};
    const body = document.getElementById("stats");
    body.replaceChildren(...shown.filter((k) => k in record).map((k) => {
      const row = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = k.replaceAll("_", " ");
      const value = document.createElement("td");
      const v = record[k];
      value.textContent = typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : v;
      row.append(name, value);
      return row;
    }));
  }

  slider.addEventListener("input", () => render(Number(slider.value)));
  play.addEventListener("click", () => {
    if (timer) {
      clearInterval(timer);
      timer = null;
      play.textContent = "Play";
      play.setAttribute("aria-pressed", "false");
      return;
    }
    play.textContent = "Pause";
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(() => {
      slider.value = (Number(slider.value) + 1) % steps.length;
      render(Number(slider.value));
    }, 700);
  });
  render(0);
})();
