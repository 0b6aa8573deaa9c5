// The demo app itself: a list of projects; Cairn tracks each one created.
document.getElementById("user").textContent = localStorage.getItem("acme:user");
var list = document.getElementById("projects");
document.getElementById("create").addEventListener("click", function () {
  var li = document.createElement("li");
  li.textContent = "Project #" + (list.children.length + 1);
  list.prepend(li);
  cairn("track", "project_created");
});
document.getElementById("badges").addEventListener("click", function () { cairn("open", "shelf"); });
var dialog = document.getElementById("settings-dialog");
document.getElementById("settings").addEventListener("click", function () { dialog.showModal(); });
document.getElementById("settings-close").addEventListener("click", function () { dialog.close(); });
document.getElementById("settings-create").addEventListener("click", function () { cairn("track", "project_created"); });
