/*
 * Warn before leaving a form with unsaved changes (progressive enhancement).
 *
 * Forms marked data-app-unsaved-warning become "dirty" when the user types or changes a field;
 * data-app-unsaved-warning="dirty" marks a form that already holds unsaved answers (the conflict page).
 * Leaving the page while a form is dirty asks the browser to show its "Leave site?" warning.
 * Submitting the form (any of its Save buttons) is not leaving, so it never warns. Without
 * JavaScript the form works exactly the same, just without the warning.
 */
(function () {
  'use strict'

  var forms = document.querySelectorAll('form[data-app-unsaved-warning]')
  if (!forms.length) {
    return
  }

  var dirty = false
  var submitting = false

  function markDirty () {
    dirty = true
  }

  for (var i = 0; i < forms.length; i++) {
    if (forms[i].getAttribute('data-app-unsaved-warning') === 'dirty') {
      dirty = true
    }
    forms[i].addEventListener('input', markDirty)
    forms[i].addEventListener('change', markDirty)
    forms[i].addEventListener('submit', function () {
      submitting = true
    })
  }

  window.addEventListener('beforeunload', function (event) {
    if (!dirty || submitting) {
      return
    }
    event.preventDefault()
    // Older browsers show the dialog only when returnValue is set.
    event.returnValue = ''
  })

  // Coming back with the Back button restores the page from the cache as it was left.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      submitting = false
    }
  })
})()
