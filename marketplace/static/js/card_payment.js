// The card payment page: Stripe's Payment Element draws the card fields in Stripe's own
// frames; confirming sends the browser to Stripe (3-D Secure if the bank asks) and back to
// the return address, where the server reads the outcome from Stripe.
(function () {
  "use strict";
  var root = document.getElementById("card-payment");
  if (!root || typeof window.Stripe !== "function") {
    return; // the page's notice tells the company to pay by transfer instead
  }
  var form = document.getElementById("card-form");
  var button = document.getElementById("card-submit");
  var message = document.getElementById("card-message");
  var stripe = window.Stripe(root.dataset.publishableKey, { locale: root.dataset.locale });
  var elements = stripe.elements({ clientSecret: root.dataset.clientSecret });
  var element = elements.create("payment");
  element.mount("#payment-element");
  element.on("ready", function () {
    document.getElementById("card-unavailable").hidden = true;
    form.hidden = false;
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    message.textContent = root.dataset.waiting;
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: root.dataset.returnUrl } })
      .then(function (result) {
        // Only reached when the payment could not start (a refused or incomplete card);
        // otherwise the browser has already left for the return address.
        if (result.error) {
          message.textContent = result.error.message;
          button.disabled = false;
        }
      });
  });
})();
