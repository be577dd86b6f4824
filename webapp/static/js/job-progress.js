// Progressive enhancement of a background job's page (webapp/templates/jobs/show.html): without
// scripts the page has a "Check again" link; with them, the status is asked for every few seconds,
// the progress text (a polite live region) is updated, and the page reloads once the job has
// finished, to show the download or the reason it failed.
(function () {
  'use strict'
  var box = document.getElementById('job-progress')
  var text = document.getElementById('job-progress-text')
  if (!box || !text || !window.fetch) { return }
  var url = box.getAttribute('data-status-url')
  var lastShown = ''

  function describe (job) {
    if (job.percent !== null) {
      return job.label + ': ' + job.percent + '% done (' + job.done.toLocaleString('en-GB') + ' of ' +
        job.total.toLocaleString('en-GB') + ' steps).'
    }
    return job.status === 'queued' ? job.label + ': it will start as soon as a worker is free.' : job.label + ': starting.'
  }

  function check () {
    window.fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('status ' + response.status) }
        return response.json()
      })
      .then(function (job) {
        if (job.finished) {
          window.location.reload()
          return
        }
        var words = describe(job)
        if (words !== lastShown) {
          text.textContent = words
          lastShown = words
        }
        window.setTimeout(check, 2000)
      })
      .catch(function () {
        window.setTimeout(check, 10000) // signed out or offline: the "Check again" link still works
      })
  }

  window.setTimeout(check, 1000)
})()
